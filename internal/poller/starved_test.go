package poller

import (
	"context"
	"sync"
	"testing"
	"time"

	"notifier/internal/dcs"
)

// Projects of the same access key with running tasks (urgent polls) take every slot of
// the key's budget: a quiet project of that key then waits in Budget.Wait for as long as
// they run. Its poll never fails, so no gap event is ever committed, though the project
// is not read for far longer than poll.gap_after: the blind spot is never reported.
func TestProjectStarvedByTheBudgetIsReportedBlind(t *testing.T) {
	budget := dcs.NewBudget(dcs.BudgetOptions{PerSecond: 2})
	e := newEnv(t, setup{}, func(o *Options) {
		o.Lister = dcs.Budgeted{Lister: o.Lister, Budget: budget}
		o.Interval, o.ActiveInterval, o.MaxBackoff = 50*time.Millisecond, 50*time.Millisecond, 100*time.Millisecond
		o.GapAfter = 300 * time.Millisecond
	})
	if _, err := e.p.Cycle(t.Context()); err != nil { // baseline: the project was read once
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	// Two other projects of the key, each running a task, poll as urgent back to back.
	for range 2 {
		wg.Go(func() {
			for budget.Wait(dcs.Urgent(ctx)) == nil {
			}
		})
	}
	time.Sleep(50 * time.Millisecond) // they hold the budget
	read := e.p.LastSuccess()
	wg.Go(func() { e.p.Run(ctx) })
	time.Sleep(3 * time.Second) // ten times gap_after
	cancel()
	wg.Wait()
	st := e.ledger.Project(project)
	unread := e.p.LastSuccess().Equal(read)
	t.Logf("project read again: %v; gap recorded: %v", !unread, st.Gap != nil)
	if unread && st.Gap == nil {
		t.Errorf("the project was not read for 3s (gap_after 300ms) and no gap event was committed")
	}
}
