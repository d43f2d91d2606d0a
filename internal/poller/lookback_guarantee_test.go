package poller

import (
	"testing"
	"time"

	"notifier/internal/dcssim"
	"notifier/internal/event"
)

// After a downtime longer than poll.lookback, an API that ignores start_time lists tasks
// created during the downtime but before now - lookback - safety_margin. They are never
// announced as new (here a 3-day-old failed switchover, a stale critical alert): the diff
// compares every unknown task with the current cutoff, not only with the state's horizon.
// The recent task is announced.
func TestRestartAfterDowntimeNeverAnnouncesTasksOutsideLookback(t *testing.T) {
	now := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	e := newEnv(t, setup{sim: dcssim.Options{StartParam: "begin_time"}}, // the API ignores start_time
		func(o *Options) { o.Now = func() time.Time { return now } })
	sim, p := e.sim, e.p
	sim.Put(project, dcssim.Task{ID: "before", Name: "EXTEND", Status: "SUCCESS", CreatedAt: now.Add(-2 * time.Hour)})
	if _, err := p.Cycle(t.Context()); err != nil { // baseline
		t.Fatal(err)
	}
	// The notifier is down for five days; meanwhile a switchover fails (day 2).
	sim.Put(project, dcssim.Task{ID: "swap-day2", Name: "masterStandbySwapJob", Status: "FAILED", CreatedAt: now.Add(48 * time.Hour)})
	sim.Put(project, dcssim.Task{ID: "recent", Name: "EXTEND", Status: "SUCCESS", CreatedAt: now.Add(5*24*time.Hour - time.Hour)})
	now = now.Add(5 * 24 * time.Hour)
	res, err := p.Cycle(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// The downtime itself is announced, as a blind spot the window could not cover.
	if r := restored(res); r == nil || *r.Data.Complete {
		t.Errorf("restored event %v, want one saying the five days could not all be read", r)
	}
	var announced []string
	for _, ev := range res.Events {
		if ev.Type == event.TypeRestored {
			continue
		}
		announced = append(announced, ev.Subject)
		if ev.Subject == "swap-day2" {
			t.Errorf("a task created 3 days ago (outside the 24h lookback) was announced: %s %s severity %s", ev.Type, ev.Data.Status, ev.Data.Severity)
		}
	}
	if len(announced) != 1 || announced[0] != "recent" {
		t.Errorf("announced %v, want only the recent task", announced)
	}
}

// Same guarantee with an API that honours start_time: a followed task still running holds
// the window back to its creation, so after a downtime longer than the lookback the poll
// lists every task created during the downtime; those older than the lookback are not
// announced, and the running task is still followed.
func TestRunningTaskHoldingTheWindowNeverAnnouncesTasksOutsideLookback(t *testing.T) {
	now := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	e := newEnv(t, setup{}, func(o *Options) { o.Now = func() time.Time { return now } })
	e.put("long", "EXTEND", "RUNNING", now.Add(-time.Hour))
	e.cycle(t) // baseline: follows "long"
	e.put("swap-day2", "masterStandbySwapJob", "FAILED", now.Add(48*time.Hour))
	e.put("swap-day5", "masterStandbySwapJob", "FAILED", now.Add(5*24*time.Hour-time.Hour))
	now = now.Add(5 * 24 * time.Hour)
	res, err := e.p.Cycle(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// The running task held the window back over the whole downtime: nothing was missed.
	if r := restored(res); r == nil || !*r.Data.Complete {
		t.Errorf("restored event %v, want one saying the window covered the downtime", r)
	}
	got := transitions(res)
	if len(got) != 1 || got[0] != "swap-day5:>FAILED" {
		t.Errorf("announced %v, want only the switchover inside the 24h lookback (swap-day5:>FAILED)", got)
	}
	if _, ok := e.ledger.Project(project).Tasks.Map()["long"]; !ok {
		t.Error("the running task is no longer followed")
	}
}
