package poller

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/dcs"
	"notifier/internal/dcssim"
	"notifier/internal/diff"
	"notifier/internal/metrics"
	"notifier/internal/state"
)

// lockstep is one poller over its own client and file ledger, polling the shared simulator.
type lockstep struct {
	p      *Poller
	ledger *state.Ledger
}

func newLockstep(t *testing.T, url string, now func() time.Time, noSkip bool) *lockstep {
	t.Helper()
	c, ledger := simClient(t, url), fileLedger(t)
	p := mustNew(t, Options{
		Policy: diff.Policy{ProjectID: project, Region: "cn-north-4", Lookback: 2 * time.Hour, Margin: 5 * time.Minute,
			SaveLastOK: 10 * time.Minute, Terminal: map[string]bool{"SUCCESS": true, "FAILED": true},
			Stuck: diff.StuckPolicy{DefaultAfter: 30 * time.Minute}},
		PageSize: 1000, Interval: time.Minute, ActiveInterval: time.Second, MaxBackoff: time.Minute,
		Now: now, Lister: c, Ledger: ledger, Log: zerolog.Nop(), Metrics: metrics.New(prometheus.NewRegistry(), "test"),
	})
	p.noSkip = noSkip
	return &lockstep{p: p, ledger: ledger}
}

// TestSkippedPollsMatchFullPolls plays the same random history of a quiet project (finished
// tasks added, tasks that run and end, tasks leaving the lookback, long quiet stretches)
// against two pollers on one simulator and one fake clock, one skipping the polls that
// settle.go skips and one reading and diffing every poll, over the simulator's variants:
// finished tasks no longer listed, at every poll both must emit the same events and hold
// the same state, byte for byte,
// and the skipping one must have skipped most quiet polls.
//
// A stretch of the history is served frozen: the last answer, byte for byte, however the
// window moves (a caching gateway). The followed tasks then leave the lookback while the
// page stays the same, and listed tasks fall before the window start sent: the polls that
// must read such a page anyway are checked too.
func TestSkippedPollsMatchFullPolls(t *testing.T) {
	for _, v := range goldenVariants {
		if v.o.PageCap != 0 {
			continue // several pages a poll: never skipped
		}
		t.Run(v.name, func(t *testing.T) {
			testSkippedPollsMatchFullPolls(t, v.o)
		})
	}
}

// freezer serves the last answer again, whatever was asked, while frozen.
type freezer struct {
	h      http.Handler
	mu     sync.Mutex
	frozen bool
	last   *httptest.ResponseRecorder
}

func (f *freezer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.frozen || f.last == nil {
		f.last = httptest.NewRecorder()
		f.h.ServeHTTP(f.last, r)
	}
	for k, v := range f.last.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(f.last.Code)
	_, _ = w.Write(f.last.Body.Bytes())
}

func (f *freezer) freeze(on bool) { f.mu.Lock(); f.frozen = on; f.mu.Unlock() }

func testSkippedPollsMatchFullPolls(t *testing.T, so dcssim.Options) {
	clock := &goldenClock{t: time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)}
	so.Now = clock.now
	sim := dcssim.New(so)
	fr := &freezer{h: sim}
	srv := httptest.NewServer(fr)
	defer srv.Close()
	skipping, full := newLockstep(t, srv.URL, clock.now, false), newLockstep(t, srv.URL, clock.now, true)
	sim.PutAll(project, dcssim.SeedHistory(project, 30, clock.now().Add(-3*time.Hour), clock.now().Add(-time.Minute)))

	rng := rand.New(rand.NewPCG(11, 3))
	ends := map[int][]string{} // step → the running tasks that end then
	polls, quiet := 0, 0
	for step := range 600 {
		fr.freeze(step >= 400 && step < 500) // 100 polls, 1–4 minutes apart: past the lookback
		switch rng.IntN(16) {
		case 0:
			sim.Put(project, dcssim.Task{ID: fmt.Sprintf("done-%d", step), Name: "modify", Status: "SUCCESS",
				CreatedAt: clock.now().Add(-time.Second), UpdatedAt: clock.now()})
		case 2: // a finished task no longer listed: it leaves the lookback unlisted
			if ts := sim.Tasks(project); len(ts) > 0 {
				if tk := ts[rng.IntN(len(ts))]; tk.Status == "SUCCESS" || tk.Status == "FAILED" {
					if err := sim.Delete(project, tk.ID); err != nil {
						t.Fatal(err)
					}
				}
			}
		case 1:
			id := fmt.Sprintf("run-%d", step)
			sim.Put(project, dcssim.Task{ID: id, Name: "masterStandbySwapJob", Status: "RUNNING", CreatedAt: clock.now().Add(-time.Second)})
			end := step + 1 + rng.IntN(20) // some run past the stuck threshold
			ends[end] = append(ends[end], id)
		}
		for _, id := range ends[step] {
			mustSet(t, sim, id, []string{"SUCCESS", "FAILED"}[rng.IntN(2)])
		}
		var evs [2][]byte
		for i, ls := range []*lockstep{skipping, full} {
			res, err := ls.p.Cycle(t.Context())
			if err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
			if evs[i], err = json.Marshal(res.Events); err != nil {
				t.Fatal(err)
			}
			if i == 1 && len(res.Events) == 0 && !res.Changed {
				quiet++
			}
		}
		polls++
		if string(evs[0]) != string(evs[1]) {
			t.Fatalf("step %d at %s: events differ\nskipping: %s\n    full: %s", step, clock.now(), evs[0], evs[1])
		}
		a, _ := json.Marshal(skipping.ledger.Project(project))
		b, _ := json.Marshal(full.ledger.Project(project))
		if string(a) != string(b) {
			t.Fatalf("step %d at %s: states differ\nskipping: %s\n    full: %s", step, clock.now(), a, b)
		}
		clock.add(time.Duration(1+rng.IntN(4)) * time.Minute)
	}
	if n := full.p.skips.Load(); n != 0 {
		t.Fatalf("the poller told not to skip skipped %d polls", n)
	}
	skipped := skipping.p.skips.Load()
	t.Logf("%d polls, %d found nothing, %d skipped", polls, quiet, skipped)
	if so.IgnoreWindow {
		if skipped != 0 {
			t.Fatalf("skipped %d polls of a server ignoring the window (old tasks before every window start)", skipped)
		}
		return
	}
	if skipped*8 < int64(quiet) {
		t.Fatalf("skipped %d of %d polls that found nothing: the skip does not happen", skipped, quiet)
	}
}

// changingLister changes the project's state, as a blind spot committed by the watchdog
// would, while a page answered as unchanged is on its way back.
type changingLister struct {
	dcs.Lister
	change func()
}

func (c *changingLister) List(ctx context.Context, q dcs.Query) (*dcs.Page, error) {
	pg, err := c.Lister.List(ctx, q)
	if err == nil && pg.Same && c.change != nil {
		c.change()
		c.change = nil
	}
	return pg, err
}

// TestSkipReadsAgainWhenTheStateChangedMeanwhile: a skipped page stands for the last diff
// of the state it left only; when the state changes while it is read (here a blind spot
// recorded), the poll reads the window again and diffs it in full, and the blind spot's
// end is announced.
func TestSkipReadsAgainWhenTheStateChangedMeanwhile(t *testing.T) {
	e := newEnv(t, setup{})
	now := time.Now()
	e.put("a", "EXTEND", "SUCCESS", now.Add(-time.Hour))
	cl := &changingLister{Lister: e.p.lister}
	e.p.lister = cl
	if _, err := e.p.Cycle(t.Context()); err != nil { // the baseline, settled
		t.Fatal(err)
	}
	cl.change = func() {
		st := *e.ledger.Project(project)
		st.Gap = &diff.Gap{Since: now.Add(-10 * time.Minute).UnixMilli(), Reason: "test", Announced: 1}
		if err := e.ledger.Commit(t.Context(), project, &st, nil); err != nil {
			t.Error(err)
		}
	}
	res, err := e.p.Cycle(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if cl.change != nil {
		t.Fatal("the second poll was not answered as unchanged: nothing tested")
	}
	if len(res.Events) != 1 || res.Events[0].Type != "com.huaweicloud.dcs.watch.restored" {
		t.Fatalf("events %v: want the blind spot's end", res.Events)
	}
	if e.p.skips.Load() != 0 {
		t.Fatalf("%d polls skipped: the changed state must be diffed", e.p.skips.Load())
	}
	if st := e.ledger.Project(project); st.Gap != nil {
		t.Fatalf("gap %+v still in the state", st.Gap)
	}
}
