package poller

import (
	"context"
	"testing"
	"time"

	"notifier/internal/dcssim"
	"notifier/internal/diff"
	"notifier/internal/event"
	"notifier/internal/state"
)

// forgetFirst is the poller's ledger, with a receiver forgetting what it remembered of the
// project just before the poller's commit: what a sink's worker does at any moment (an
// alert resolved, a card pruned), here placed between the poller's read of the state and
// its commit.
type forgetFirst struct {
	*state.Ledger
	forget func()
}

func (l forgetFirst) Commit(ctx context.Context, id string, next *diff.ProjectState, evs []event.Event) error {
	if l.forget != nil {
		l.forget()
	}
	return l.Ledger.Commit(ctx, id, next, evs)
}

// A receiver (Alertmanager) remembers an active alert of the project; the project's polls
// fail, and the gap event is committed (diff.Blind). If the receiver forgot the alert
// (resolved it) after the poller read the state and before the commit, the commit brings
// the forgotten alert back: Blind copies the whole previous state, receivers' memory
// included, and the ledger keeps the next state's memory when the current one has none.
// Alertmanager's Tick then re-sends the resolved alert as active.
func TestGapCommitNeverBringsBackForgottenMemory(t *testing.T) {
	now := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	e := newEnv(t, setup{}, func(o *Options) {
		o.Now = func() time.Time { return now }
		o.GapAfter = 5 * time.Minute
	})
	e.cycle(t) // baseline
	mem := e.ledger.Memory(sink)
	if err := mem.Remember(t.Context(), project, map[string]string{"dcs/" + project + "/t1#DCSTaskFailed": `{"key":"x","alert":"DCSTaskFailed"}`}); err != nil {
		t.Fatal(err)
	}
	w := forgetFirst{Ledger: e.ledger, forget: func() {
		_ = mem.Remember(context.Background(), project, map[string]string{"dcs/" + project + "/t1#DCSTaskFailed": ""})
	}}
	p2 := mustNew(t, Options{Policy: e.p.policy, PageSize: 1000, Interval: time.Minute, ActiveInterval: time.Second,
		MaxBackoff: time.Minute, Lister: e.p.lister, Ledger: w, Log: e.p.log, Metrics: e.m, Now: func() time.Time { return now }})
	for range 3 { // the API fails for 10 minutes: the gap event is committed
		e.sim.InjectFault(dcssim.Fault{Status: 503})
		_, _ = p2.Cycle(t.Context())
		now = now.Add(5 * time.Minute)
	}
	if e.ledger.Project(project).Gap == nil {
		t.Fatal("no gap committed")
	}
	if got := mem.Recollect()[project]; len(got) > 0 {
		t.Errorf("the receiver forgot its alert, yet after the gap commit it remembers %v", got)
	}
}
