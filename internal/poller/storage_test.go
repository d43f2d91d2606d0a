package poller

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"notifier/internal/dcssim"
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
	e := newEnv(t, setup{store: disk})
	sim, p, ledger, m := e.sim, e.p, e.ledger, e.m
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
		if len(res.Events) != 0 || ledger.Count(sink) != 0 {
			t.Fatalf("poll %d: events %d, pending %d; want none", i, len(res.Events), ledger.Count(sink))
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
	got := transitions(res)
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
	e := newEnv(t, setup{store: fs})
	sim, p, ledger, m := e.sim, e.p, e.ledger, e.m
	if _, err := p.Cycle(t.Context()); err != nil {
		t.Fatal(err)
	}
	sim.Put(project, dcssim.Task{ID: "a", Name: "EXTEND", Status: "RUNNING", CreatedAt: time.Now().UTC()})
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	if _, err := p.Cycle(t.Context()); err == nil || ledger.Count(sink) != 0 {
		t.Fatalf("read-only directory: err %v, pending %d", err, ledger.Count(sink))
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
