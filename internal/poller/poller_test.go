package poller

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"notifier/internal/dcssim"
)

func TestCyclesAnnounceEachTransitionOnce(t *testing.T) {
	e := newEnv(t, setup{})
	now := time.Now()
	e.put("old", "EXTEND", "SUCCESS", now.Add(-time.Hour))
	if got := e.cycle(t); len(got) != 0 {
		t.Fatalf("baseline announced %v", got)
	}
	e.put("swap", "masterStandbySwapJob", "RUNNING", now)
	if got := fmt.Sprint(e.cycle(t)); got != "[swap:>RUNNING]" {
		t.Fatalf("got %s", got)
	}
	if got := e.cycle(t); len(got) != 0 {
		t.Fatalf("nothing changed, got %v", got)
	}
	if err := e.sim.SetStatus(project, "swap", "FAILED"); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(e.cycle(t)); got != "[swap:RUNNING>FAILED]" {
		t.Fatalf("got %s", got)
	}
	if n := e.ledger.Count("test"); n != 2 {
		t.Errorf("pending %d, want the 2 events committed", n)
	}
}

// TestPaginationWithInsertsMidScan inserts new tasks at the head of the list after the
// first page is served: the shifted list repeats tasks on the next page, and none may be
// missed or announced twice.
func TestPaginationWithInsertsMidScan(t *testing.T) {
	var e *env
	var inserted atomic.Bool
	now := time.Now()
	e = newEnv(t, setup{wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			if r.URL.Query().Get("offset") == "0" && inserted.Load() == false && e != nil && e.ledger.Project(project) != nil {
				inserted.Store(true)
				for i := range 3 {
					e.put(fmt.Sprintf("new%d", i), "AddWhitelist", "RUNNING", now.Add(time.Duration(i)*time.Second))
				}
			}
		})
	}}, func(o *Options) { o.PageSize = 10 })
	for i := range 25 {
		e.put(fmt.Sprintf("h%02d", i), "EXTEND", "SUCCESS", now.Add(-time.Duration(i+1)*time.Minute))
	}
	e.cycle(t) // baseline: 25 tasks over 3 pages
	if got := e.ledger.Project(project).Tasks.Len(); got != 25 {
		t.Fatalf("baseline recorded %d tasks, want 25", got)
	}
	// A new task arrives, then three more while the poll is past page one.
	e.put("first", "BindEip", "RUNNING", now.Add(-time.Second))
	got := e.cycle(t)
	if !inserted.Load() {
		t.Fatal("the inserts never happened")
	}
	if len(got) != 1 || got[0] != "first:>RUNNING" {
		t.Fatalf("first poll: %v", got)
	}
	// Tasks inserted mid-scan are found by the next poll, each once.
	got = e.cycle(t)
	if fmt.Sprint(got) != "[new0:>RUNNING new1:>RUNNING new2:>RUNNING]" {
		t.Fatalf("second poll: %v", got)
	}
	if n := e.ledger.Project(project).Tasks.Len(); n != 29 {
		t.Errorf("state holds %d tasks, want 29", n)
	}
}

func TestFailedPollChangesNothing(t *testing.T) {
	faults := []struct {
		name  string
		fault dcssim.Fault
	}{
		{"500", dcssim.Fault{Status: 500}},
		{"502 html", dcssim.Fault{Status: 502, Body: "<html>bad gateway</html>"}},
		{"429", dcssim.Fault{Status: 429, RetryAfter: "2"}},
		{"401", dcssim.Fault{Status: 401}},
		{"html 200", dcssim.Fault{Status: 200, Body: "<html>login</html>"}},
		{"truncated", dcssim.Fault{Truncate: true}},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, setup{}, func(o *Options) { o.PageSize = 2 })
			now := time.Now()
			e.put("a", "EXTEND", "RUNNING", now.Add(-3*time.Minute))
			e.put("b", "modify", "RUNNING", now.Add(-2*time.Minute))
			e.put("c", "BindEip", "RUNNING", now.Add(-time.Minute))
			e.cycle(t)
			before := e.ledger.Project(project)
			_ = e.sim.SetStatus(project, "a", "SUCCESS")
			_ = e.sim.SetStatus(project, "c", "FAILED")
			// The first page is fine; the second fails: the whole poll fails.
			e.sim.InjectFault(dcssim.Fault{Status: 0}) // consumed by page one, answered normally
			e.sim.InjectFault(f.fault)
			res, err := e.p.Cycle(t.Context())
			if err == nil {
				t.Fatal("want an error")
			}
			if len(res.Events) != 0 || e.ledger.Project(project) != before || e.ledger.Count("test") != 0 {
				t.Fatalf("a failed poll produced events %d or changed state", len(res.Events))
			}
			if got := testutil.ToFloat64(e.m.Polls.WithLabelValues(project, "error")); got != 1 {
				t.Errorf("polls{result=error} = %v", got)
			}
			// The next poll sees both transitions.
			if got := e.cycle(t); len(got) != 2 {
				t.Errorf("after recovery: %v", got)
			}
		})
	}
}

func TestIgnoredWindowIsDetectedAndBounded(t *testing.T) {
	e := newEnv(t, setup{sim: dcssim.Options{StartParam: "begin_time"}}, func(o *Options) {
		o.Terminal = map[string]bool{"SUCCESS": true}
		o.WindowParam = ParamStartTime // as configured: nothing learned, nothing else tried
	})
	now := time.Now()
	var hist []dcssim.Task
	for i := range 5000 {
		hist = append(hist, dcssim.Task{ID: fmt.Sprintf("h%05d", i), Name: "EXTEND", Status: "SUCCESS", CreatedAt: now.Add(-48*time.Hour - time.Duration(i)*time.Minute)})
	}
	e.sim.PutAll(project, hist)
	e.sim.Put(project, dcssim.Task{ID: "recent", Name: "EXTEND", Status: "RUNNING", CreatedAt: now.Add(-time.Minute)})
	if _, err := e.p.Cycle(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := e.sim.Requests(project); got != 1 {
		t.Errorf("requests = %d: paging must stop at the first page older than the window", got)
	}
	if got := testutil.ToFloat64(e.m.WindowIgnored.WithLabelValues(project)); got != 1 {
		t.Errorf("window_ignored_total = %v, want 1", got)
	}
	if got := e.ledger.Project(project).Tasks.Len(); got != 1 {
		t.Errorf("state holds %d tasks, want only the recent one", got)
	}
}
