package poller

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"notifier/internal/dcssim"
	"notifier/internal/state"
)

// Under dcs.start_time_param = "auto" (the default), whatever the API does with the window
// and whatever order it lists in: a baseline announces nothing, each later transition is
// announced exactly once, an old task never, the parameter that filters is learned at the
// first poll that sees the window ignored, logged once and kept in the state across a
// restart, and paging stops early only in a listing known to be newest first.
func TestAutoWindowParameterAndAnyOrder(t *testing.T) {
	tests := []struct {
		name    string
		sim     dcssim.Options
		learned string // in the state after the first poll
		// requests of the baseline poll (history of 300 tasks, pages of 50) and of a poll
		// after the restart
		baseline, later int
		full            bool // polls read every page: notifier_full_listings_total counts
	}{
		{name: "begin_time only, newest first", sim: dcssim.Options{StartParam: "begin_time"}, learned: "begin_time", baseline: 2, later: 1},
		{name: "begin_time only, oldest first", sim: dcssim.Options{StartParam: "begin_time", Order: dcssim.OrderOldestFirst}, learned: "begin_time", baseline: 2, later: 1},
		{name: "begin_time only, unsorted", sim: dcssim.Options{StartParam: "begin_time", Order: dcssim.OrderUnsorted}, learned: "begin_time", baseline: 2, later: 1},
		{name: "start_time, unsorted", sim: dcssim.Options{Order: dcssim.OrderUnsorted}, learned: "", baseline: 1, later: 1},
		{name: "no filter, newest first", sim: dcssim.Options{IgnoreWindow: true}, learned: "none", baseline: 2, later: 1},
		{name: "no filter, oldest first", sim: dcssim.Options{IgnoreWindow: true, Order: dcssim.OrderOldestFirst}, learned: "none", baseline: 8, later: 7, full: true},
		{name: "no filter, unsorted", sim: dcssim.Options{IgnoreWindow: true, Order: dcssim.OrderUnsorted}, learned: "none", baseline: 8, later: 7, full: true},
		{name: "no filter, oldest first, pages capped at 7", sim: dcssim.Options{IgnoreWindow: true, Order: dcssim.OrderOldestFirst, PageCap: 7},
			learned: "none", baseline: 1 + 44, later: 44, full: true},
		// A page of one task is newest first by itself: only the listing read so far says.
		{name: "no filter, unsorted, pages of 1", sim: dcssim.Options{IgnoreWindow: true, Order: dcssim.OrderUnsorted, PageCap: 1},
			learned: "none", baseline: 2 + 302, later: 304, full: true}, // the first page happens to be recent
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t0 := time.Now().UTC().Truncate(time.Second)
			var clock time.Duration
			now := func() time.Time { return t0.Add(clock) }
			fs, err := state.OpenFile(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { fs.Close() })
			var opts Options
			e := newEnv(t, setup{sim: tt.sim, store: fs}, func(o *Options) {
				o.Now, o.PageSize = now, 50
				opts = *o
			})
			var hist []dcssim.Task
			for i := range 300 {
				hist = append(hist, dcssim.Task{ID: fmt.Sprintf("h%03d", i), Name: "EXTEND", Status: "SUCCESS",
					CreatedAt: t0.Add(-48*time.Hour - time.Duration(i)*time.Minute)})
			}
			e.sim.PutAll(project, hist)
			e.put("run", "EXTEND", "RUNNING", t0.Add(-time.Hour))
			e.put("done", "modify", "SUCCESS", t0.Add(-2*time.Hour))

			poll := func(p *Poller, when string, wantReq int, want ...string) {
				t.Helper()
				before := e.sim.Requests(project)
				res, err := p.Cycle(t.Context())
				if err != nil {
					t.Fatalf("%s: %v", when, err)
				}
				got := transitions(res)
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("%s: events %v, want %v", when, got, want)
				}
				if n := e.sim.Requests(project) - before; wantReq > 0 && n != wantReq {
					t.Errorf("%s: %d requests, want %d", when, n, wantReq)
				}
			}

			poll(e.p, "baseline", tt.baseline)
			if got := e.ledger.Project(project).WindowParam; got != tt.learned {
				t.Fatalf("learned %q, want %q", got, tt.learned)
			}

			clock += time.Minute
			_ = e.sim.SetStatus(project, "run", "SUCCESS")
			e.put("new", "BindEip", "RUNNING", now())
			e.put("old", "UnBindEip", "RUNNING", t0.Add(-72*time.Hour)) // appears late, but old: never news
			poll(e.p, "after changes", tt.later, "run:RUNNING>SUCCESS", "new:>RUNNING")
			clock += time.Minute
			poll(e.p, "nothing new", tt.later)

			// A restart: a new poller over the ledger loaded from the same store.
			snap, err := fs.Load(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			ledger, _ := state.NewLedger(fs, snap, []string{sink})
			if got := ledger.Project(project).WindowParam; got != tt.learned {
				t.Fatalf("after the restart the state holds %q, want %q", got, tt.learned)
			}
			opts.Ledger = ledger
			p2 := mustNew(t, opts)
			clock += time.Minute
			poll(p2, "after the restart, nothing new", tt.later)
			_ = e.sim.SetStatus(project, "new", "FAILED")
			clock += time.Minute
			poll(p2, "after the restart, a change", tt.later, "new:RUNNING>FAILED")
			poll(p2, "after the restart, nothing new again", tt.later)
			if got := ledger.Project(project).WindowParam; got != tt.learned {
				t.Errorf("the state holds %q after more polls, want %q", got, tt.learned)
			}

			logs := e.logs.String()
			if tt.learned != "" {
				if n := strings.Count(logs, `"message":"window parameter: `+tt.learned); n != 1 {
					t.Errorf("%q logged %d times, want once:\n%s", "window parameter: "+tt.learned, n, logs)
				}
			}
			if tt.learned == "none" {
				if got := testutil.ToFloat64(e.m.WindowUnfiltered.WithLabelValues(project)); got == 0 {
					t.Error("notifier_window_unfiltered_total is 0")
				}
			} else if got := testutil.ToFloat64(e.m.WindowUnfiltered.WithLabelValues(project)); got != 0 {
				t.Errorf("notifier_window_unfiltered_total = %v, want 0", got)
			}
			full := testutil.ToFloat64(e.m.FullListings.WithLabelValues(project))
			if tt.full != (full > 0) {
				t.Errorf("notifier_full_listings_total = %v, want it counting: %v", full, tt.full)
			}
			if tt.full && !strings.Contains(logs, "every poll reads every page") {
				t.Errorf("no warning about reading every page:\n%s", logs)
			}
		})
	}
}
