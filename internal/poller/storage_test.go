package poller

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"notifier/internal/dcs"
	"notifier/internal/dcssim"
	"notifier/internal/diff"
	"notifier/internal/metrics"
	"notifier/internal/state"
)

// fullDisk is the real File store with a switch that makes every Save fail as a full
// disk does. Tests run as root in CI, and root ignores directory permissions, so a
// read-only directory cannot be relied on to make the File itself fail (see
// TestReadOnlyStateDirectory for that, when not root).
type fullDisk struct {
	*state.File
	full  atomic.Bool
	saves atomic.Int64
}

func (d *fullDisk) Save(ctx context.Context, s *state.Snapshot) error {
	if d.full.Load() {
		return fmt.Errorf("saving state: %w", syscall.ENOSPC)
	}
	d.saves.Add(1)
	return d.File.Save(ctx, s)
}

// storageEnv is a poller over the simulator committing to a Ledger on store.
func storageEnv(t *testing.T, store state.Store) (*dcssim.Sim, *Poller, *state.Ledger, *metrics.Metrics) {
	t.Helper()
	sim := dcssim.New(dcssim.Options{AK: ak, SK: sk})
	sim.AddProject(project)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := dcs.NewClient(dcs.Options{Region: "cn-north-4", ProjectID: project, Endpoint: srv.URL,
		Credentials: dcs.Credentials{AK: ak, SK: sk}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := store.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ledger, _ := state.NewLedger(store, snap, []string{"nats"})
	m := metrics.New(prometheus.NewRegistry(), "test")
	p := mustNew(t, Options{Policy: diff.Policy{ProjectID: project, Region: "cn-north-4", Lookback: 24 * time.Hour,
		Margin: 10 * time.Minute, Terminal: map[string]bool{"SUCCESS": true, "FAILED": true}}, PageSize: 1000,
		Lister: c, Ledger: ledger, Metrics: m})
	return sim, p, ledger, m
}

// TestDiskFullWhenSaving: while the state cannot be saved, a poll's result is not
// committed (no event becomes pending, so nothing can be published), the failure is
// counted in notifier_state_save_errors_total, and once the disk has room again the next
// poll commits every transition exactly once; a restart from the file repeats none.
func TestDiskFullWhenSaving(t *testing.T) {
	dir := t.TempDir()
	fs, err := state.OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	disk := &fullDisk{File: fs}
	sim, p, ledger, m := storageEnv(t, disk)
	now := time.Now().UTC()
	if _, err := p.Cycle(t.Context()); err != nil { // baseline
		t.Fatal(err)
	}
	sim.Put(project, dcssim.Task{ID: "a", Name: "EXTEND", Status: "RUNNING", CreatedAt: now})

	disk.full.Store(true)
	for i := range 3 {
		res, err := p.Cycle(t.Context())
		if err == nil {
			t.Fatalf("poll %d committed on a full disk", i)
		}
		if len(res.Events) != 0 || ledger.Count("nats") != 0 {
			t.Fatalf("poll %d: events %d, pending %d; want none", i, len(res.Events), ledger.Count("nats"))
		}
		if i == 1 {
			sim.Put(project, dcssim.Task{ID: "b", Name: "modify", Status: "SUCCESS", CreatedAt: now})
			_ = sim.SetStatus(project, "a", "FAILED")
		}
	}
	if got := testutil.ToFloat64(m.StateSaveErrors); got != 3 {
		t.Errorf("state_save_errors_total = %v, want 3", got)
	}
	if got := testutil.ToFloat64(m.Polls.WithLabelValues(project, "error")); got != 3 {
		t.Errorf("polls{result=error} = %v, want 3", got)
	}

	disk.full.Store(false)
	res, err := p.Cycle(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range res.Events {
		got = append(got, e.Subject+":"+e.Data.PreviousStatus+">"+e.Data.Status)
	}
	// a went RUNNING -> FAILED while the disk was full; RUNNING was never committed, so
	// the notifier first sees a as FAILED.
	if fmt.Sprint(got) != "[a:>FAILED b:>SUCCESS]" {
		t.Errorf("after recovery: %v, want [a:>FAILED b:>SUCCESS]", got)
	}
	if res, err := p.Cycle(t.Context()); err != nil || len(res.Events) != 0 {
		t.Errorf("next poll: %d events, %v; want none", len(res.Events), err)
	}

	// A restart from the file finds the same pending events and produces no new ones.
	fs.Close()
	fs2, err := state.OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fs2.Close()
	snap, err := fs2.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Outbox) != 2 {
		t.Errorf("outbox after restart holds %d events, want 2", len(snap.Outbox))
	}
}

// TestReadOnlyStateDirectory is TestDiskFullWhenSaving with a real read-only directory.
// Root ignores directory permissions, so it only runs as an ordinary user.
func TestReadOnlyStateDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: a read-only directory does not stop root (TestDiskFullWhenSaving covers the path)")
	}
	dir := filepath.Join(t.TempDir(), "state")
	fs, err := state.OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	sim, p, ledger, m := storageEnv(t, fs)
	if _, err := p.Cycle(t.Context()); err != nil {
		t.Fatal(err)
	}
	sim.Put(project, dcssim.Task{ID: "a", Name: "EXTEND", Status: "RUNNING", CreatedAt: time.Now().UTC()})
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	if _, err := p.Cycle(t.Context()); err == nil || ledger.Count("nats") != 0 {
		t.Fatalf("read-only directory: err %v, pending %d", err, ledger.Count("nats"))
	}
	if got := testutil.ToFloat64(m.StateSaveErrors); got != 1 {
		t.Errorf("state_save_errors_total = %v, want 1", got)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	res, err := p.Cycle(t.Context())
	if err != nil || len(res.Events) != 1 {
		t.Fatalf("after the directory is writable again: %d events, %v", len(res.Events), err)
	}
}
