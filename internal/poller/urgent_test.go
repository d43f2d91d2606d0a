package poller

import (
	"context"
	"testing"
	"time"

	"notifier/internal/dcs"
)

// urgencyLister records, for every request, whether its context was marked dcs.Urgent.
type urgencyLister struct {
	next dcs.Lister
	seen chan bool
}

func (l urgencyLister) List(ctx context.Context, q dcs.Query) (*dcs.Page, error) {
	select {
	case l.seen <- dcs.IsUrgent(ctx):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return l.next.List(ctx, q)
}

// TestRunMarksPollsOfARunningTaskUrgent: Run's requests wait on the budget as urgent
// while the committed state has a running task (the poll that sees it end included), and
// as quiet before and after.
func TestRunMarksPollsOfARunningTaskUrgent(t *testing.T) {
	seen := make(chan bool)
	e := newEnv(t, setup{}, func(o *Options) {
		o.Lister = urgencyLister{next: o.Lister, seen: seen}
		o.Interval, o.ActiveInterval = 20*time.Millisecond, 10*time.Millisecond
	})
	e.put("old", "EXTEND", "SUCCESS", time.Now().Add(-time.Hour))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); e.p.Run(ctx) }()
	defer func() { cancel(); <-done }()
	next := func() bool {
		select {
		case u := <-seen:
			return u
		case <-time.After(20 * time.Second):
			t.Fatal("no poll")
			return false
		}
	}
	if next() {
		t.Fatal("the baseline poll of a quiet project was urgent")
	}
	e.put("swap", "masterStandbySwapJob", "RUNNING", time.Now())
	for i := 0; !next(); i++ { // until a poll has committed the running task
		if i == 100 {
			t.Fatal("no urgent poll while a task runs")
		}
	}
	if !next() {
		t.Fatal("the poll after one that saw a running task was not urgent")
	}
	if err := e.sim.SetStatus(project, "swap", "SUCCESS"); err != nil {
		t.Fatal(err)
	}
	for i := 0; next(); i++ { // the polls until the end is committed are urgent
		if i == 100 {
			t.Fatal("polls still urgent after the task ended")
		}
	}
	for range 3 {
		if next() {
			t.Fatal("a poll after the task ended was urgent")
		}
	}
}
