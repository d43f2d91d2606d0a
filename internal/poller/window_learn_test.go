package poller

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"notifier/internal/dcssim"
	"notifier/internal/state"
)

// Under "auto", an API that keeps start_time (the documented behaviour, and the
// simulator's) is learned too, not left "auto" forever: once a task the state knows was
// created before the window is left out of a listing, start_time is learned, logged once,
// kept across a restart and reported by WindowParam. The trial goes on: should the server
// later ignore start_time, the parameter that filters then is learned instead.
func TestAutoLearnsStartTime(t *testing.T) {
	t0 := time.Now().UTC().Truncate(time.Second)
	var clock time.Duration
	now := func() time.Time { return t0.Add(clock) }
	fs, err := state.OpenFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })

	// The same tasks behind a server that keeps begin_time only, switched to later.
	later := dcssim.New(dcssim.Options{AK: ak, SK: sk, StartParam: "begin_time"})
	later.AddProject(project)
	var switched atomic.Bool
	var opts Options
	e := newEnv(t, setup{store: fs, wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if switched.Load() {
				later.ServeHTTP(w, r)
				return
			}
			h.ServeHTTP(w, r)
		})
	}}, func(o *Options) {
		o.Now = now
		opts = *o
	})
	put := func(id, status string, created time.Time) {
		task := dcssim.Task{ID: id, Name: "EXTEND", Status: status, CreatedAt: created}
		e.sim.Put(project, task)
		later.Put(project, task)
	}
	put("history", "SUCCESS", t0.Add(-72*time.Hour))                            // never in a window
	put("edge", "SUCCESS", t0.Add(-24*time.Hour-10*time.Minute+30*time.Second)) // in the first window only
	put("recent", "SUCCESS", t0.Add(-time.Hour))

	poll := func(p *Poller, when string) {
		t.Helper()
		if _, err := p.Cycle(t.Context()); err != nil {
			t.Fatalf("%s: %v", when, err)
		}
	}
	learned := func() string { return e.ledger.Project(project).WindowParam }

	poll(e.p, "baseline")
	if got, shown := learned(), e.p.WindowParam(); got != "" || shown != ParamAuto {
		t.Fatalf("after the baseline: learned %q, shown %q; want nothing learned yet (no task older than the window known)", got, shown)
	}
	clock += time.Minute // the window now starts after "edge", which the state holds
	poll(e.p, "a minute later")
	if got, shown := learned(), e.p.WindowParam(); got != ParamStartTime || shown != ParamStartTime || !e.p.WindowLearned() {
		t.Fatalf("a minute later: learned %q, shown %q; want start_time", got, shown)
	}
	clock += time.Minute
	poll(e.p, "two minutes later")
	if n := strings.Count(e.logs.String(), `"message":"window parameter: start_time"`); n != 1 {
		t.Errorf("%q logged %d times, want once:\n%s", "window parameter: start_time", n, e.logs.String())
	}

	// A restart: the learned parameter comes from the state, before any poll.
	snap, err := fs.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ledger, _ := state.NewLedger(fs, snap, []string{sink})
	opts.Ledger = ledger
	p2 := mustNew(t, opts)
	if got := p2.WindowParam(); got != ParamStartTime {
		t.Fatalf("after the restart WindowParam = %q, want start_time from the state", got)
	}

	// The server now ignores start_time: the trial sees "history" and learns begin_time.
	switched.Store(true)
	clock += time.Minute
	poll(p2, "after the switch")
	if got, shown := ledger.Project(project).WindowParam, p2.WindowParam(); got != ParamBeginTime || shown != ParamBeginTime {
		t.Errorf("after the server ignored start_time: learned %q, shown %q; want begin_time", got, shown)
	}
}

// A configured parameter is reported as configured, and nothing is learned.
func TestConfiguredWindowParamIsNotLearned(t *testing.T) {
	t0 := time.Now().UTC().Truncate(time.Second)
	var clock time.Duration
	e := newEnv(t, setup{}, func(o *Options) {
		o.Now = func() time.Time { return t0.Add(clock) }
		o.WindowParam = ParamStartTime
	})
	e.put("edge", "EXTEND", "SUCCESS", t0.Add(-24*time.Hour-10*time.Minute+30*time.Second))
	e.cycle(t)
	clock += time.Minute
	e.cycle(t)
	if got, shown := e.ledger.Project(project).WindowParam, e.p.WindowParam(); got != "" || shown != ParamStartTime || e.p.WindowLearned() {
		t.Errorf("learned %q, shown %q; want nothing learned, start_time shown", got, shown)
	}
}
