package poller

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/dcssim"
	"notifier/internal/diff"
	"notifier/internal/metrics"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/events_golden.jsonl from this code")

// goldenVariants are the simulator's variants of what the API's documentation leaves open
// (dcssim/variant.go), plus a gateway that serves fewer tasks a page than asked.
var goldenVariants = []struct {
	name string
	o    dcssim.Options
}{
	{"documented", dcssim.Options{}},
	{"begin_time", dcssim.Options{StartParam: "begin_time"}},
	{"oldest_first", dcssim.Options{Order: dcssim.OrderOldestFirst}},
	{"unsorted", dcssim.Options{Order: dcssim.OrderUnsorted}},
	{"count_is_page_size", dcssim.Options{CountIsPageSize: true}},
	{"ignore_window", dcssim.Options{IgnoreWindow: true}},
	{"ignore_window_unsorted", dcssim.Options{IgnoreWindow: true, Order: dcssim.OrderUnsorted}},
	{"window_on_updated_at", dcssim.Options{WindowOn: "updated_at"}},
	{"time_seconds", dcssim.Options{TimeFormat: dcssim.TimeLayoutSeconds}},
	{"time_space", dcssim.Options{TimeFormat: dcssim.TimeLayoutSpace}},
	{"page_cap", dcssim.Options{PageCap: 4}},
}

// TestGoldenEvents plays one recorded listing (a seeded history, then new tasks, status
// changes, tasks leaving the lookback, a stuck task) against the real poller over each
// variant, on a fake clock, and compares every event it emits, as JSON, with
// testdata/events_golden.jsonl: what is detected, and every byte of every event, must not
// change when the decoding, the diff or the fetching is made cheaper. The file was
// written by the code before that work (go test -run TestGoldenEvents -update-golden);
// rewrite it only for a change of the events that is meant.
func TestGoldenEvents(t *testing.T) {
	var out bytes.Buffer
	for _, v := range goldenVariants {
		fmt.Fprintf(&out, "# %s\n", v.name)
		playGolden(t, v.o, &out)
	}
	path := filepath.Join("testdata", "events_golden.jsonl")
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (write it with -update-golden)", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		got, wantLines := bytes.Split(out.Bytes(), []byte("\n")), bytes.Split(want, []byte("\n"))
		for i := range max(len(got), len(wantLines)) {
			var g, w []byte
			if i < len(got) {
				g = got[i]
			}
			if i < len(wantLines) {
				w = wantLines[i]
			}
			if !bytes.Equal(g, w) {
				t.Fatalf("the event stream differs from %s at line %d:\n got: %s\nwant: %s", path, i+1, g, w)
			}
		}
	}
}

// goldenClock is the fake clock of the simulator and the poller.
type goldenClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *goldenClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *goldenClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// playGolden runs the recorded listing against one variant and writes each poll's events.
func playGolden(t *testing.T, so dcssim.Options, out *bytes.Buffer) {
	t.Helper()
	clock := &goldenClock{t: time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)}
	so.Now = clock.now // no AK: the simulator checks no signature, whose date is real time
	sim := dcssim.New(so)
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c, ledger := simClient(t, srv.URL), fileLedger(t)
	p := mustNew(t, Options{
		Policy: diff.Policy{ProjectID: project, ProjectName: "golden", Region: "cn-north-4", Lookback: 24 * time.Hour,
			Margin: 10 * time.Minute, Terminal: map[string]bool{"SUCCESS": true, "FAILED": true, "FAIL": true, "CANCELLED": true},
			Stuck: diff.StuckPolicy{After: map[string]time.Duration{"masterStandbySwapJob": 20 * time.Minute}, DefaultAfter: 2 * time.Hour}},
		PageSize: 7, Interval: time.Minute, ActiveInterval: time.Second, MaxBackoff: time.Minute,
		Now: clock.now, Lister: c, Ledger: ledger, Log: zerolog.Nop(), Metrics: metrics.New(prometheus.NewRegistry(), "test"),
	})

	t0 := clock.now()
	hist := dcssim.SeedHistory(project, 40, t0.Add(-30*time.Hour), t0.Add(-time.Minute))
	for i := range hist {
		switch i % 4 {
		case 0:
			hist[i].Params = fmt.Sprintf(`{"instance_id":"i-%02d","spec_code":"redis.ha.xu1.large.r2.%d","new_capacity":%d}`, i, i%3, i)
		case 1:
			hist[i].Extra = map[string]any{"instance_name": fmt.Sprintf("cache-%d", i), "zz_unknown": map[string]any{"nested": []any{1, "é\u2028<&>"}}}
		}
	}
	sim.PutAll(project, hist)
	poll := func(step string) {
		t.Helper()
		res, err := p.Cycle(t.Context())
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		fmt.Fprintf(out, "## %s: %d events\n", step, len(res.Events))
		for _, e := range res.Events {
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			out.Write(b)
			out.WriteByte('\n')
		}
	}
	task := func(id, name, status string, created time.Time) dcssim.Task {
		return dcssim.Task{ID: id, Name: name, JobID: "job-" + id, UserName: "ops_lin_01", UserID: "u1", Status: status, CreatedAt: created}
	}
	poll("baseline")

	clock.add(time.Second)
	swap := task("c8d3a1f0-5b2e-4c1a-9f3e-0a1b2c3d4e5f", "masterStandbySwapJob", "RUNNING", clock.now().Add(-500*time.Millisecond))
	swap.Params = `{"instance_id":"3c49a4e9-6d5a-4b3e-8f2a-0d6f1b2c3d4e","instance_name":"orders-cache"}`
	swap.Details = map[string]any{"source_ip": "192.168.0.4", "target_ip": "192.168.0.5"}
	ext := task("0123456789abcdef0123456789abcdee", "EXTEND", "running", clock.now().Add(-300*time.Millisecond))
	ext.Details = map[string]any{"old_capacity": 0.125, "new_capacity": 0.25, "old_cache_mode": "ha"}
	ext.Params = `{"spec_code":"redis.ha.xu1.large.r2.2","escaped":"\"quoted\" \\ \u00e9"}`
	done := task("DONE-upper-ID", "重启", "SUCCESS", clock.now().Add(-200*time.Millisecond))
	done.UpdatedAt = clock.now().Add(-100 * time.Millisecond)
	done.Extra = map[string]any{"instance_id": " top-level ", "error_msg": nil}
	failed := task("f1", "modify", "FAIL", clock.now().Add(-150*time.Millisecond))
	failed.ErrorCode = "111400063"
	failed.UpdatedAt = clock.now()
	noTime := task("no-created-at", "AddWhitelist", "WAITING", time.Time{})
	sim.PutAll(project, []dcssim.Task{swap, ext, done, failed, noTime})
	poll("new tasks")

	clock.add(time.Second)
	poll("nothing changed")

	clock.add(time.Second)
	mustSet(t, sim, ext.ID, "SUCCESS")
	mustSet(t, sim, noTime.ID, "EXECUTING")
	late := task("late", "BindEip", "RUNNING", clock.now().Add(-time.Second))
	late.Details = map[string]any{"enable_public_ip": true, "public_ip_address": "121.36.0.9"}
	sim.Put(project, late)
	poll("status changes")

	clock.add(25 * time.Minute)
	poll("switchover stuck")

	clock.add(time.Second)
	mustSet(t, sim, swap.ID, "SUCCESS")
	mustSet(t, sim, late.ID, "CANCELLED")
	poll("stuck switchover ends")

	clock.add(3 * time.Hour)
	poll("waiting task stuck")

	clock.add(22 * time.Hour)
	mustSet(t, sim, noTime.ID, "FAILED")
	sim.Put(project, task("after-a-day", "DelReplica", "RUNNING", clock.now().Add(-2*time.Second)))
	poll("a day later")
}

func mustSet(t *testing.T, sim *dcssim.Sim, id, status string) {
	t.Helper()
	if err := sim.SetStatus(project, id, status); err != nil {
		t.Fatal(err)
	}
}
