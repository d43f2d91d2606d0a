package diff

import (
	"fmt"
	"testing"
	"time"

	"notifier/internal/dcs"
)

// A task stuck in RUNNING (a zombie job that never ends) is followed for at most
// MaxFollow: then it is dropped (Result.Abandoned), stops holding the window back at its
// creation, and the state and every poll shrink back to the lookback. Before, one zombie
// made the state keep, and every poll list, every task since it started.
func TestTaskStuckRunningStopsHoldingTheWindowAfterMaxFollow(t *testing.T) {
	var all []dcs.Task
	listWindow := func(start time.Time) []dcs.Task { // an API that honours start_time
		var out []dcs.Task
		for _, tk := range all {
			if !tk.Created.Before(start) {
				out = append(out, tk)
			}
		}
		return out
	}
	run := func(zombie bool) (kept int, abandoned []string) {
		all = nil
		now := t0
		if zombie {
			all = append(all, task("zombie", "EXTEND", "RUNNING", now.Add(-time.Minute)))
		}
		var st *ProjectState
		for day := range 30 {
			for i := range 100 { // 100 finished tasks a day
				all = append(all, task(fmt.Sprintf("d%02d-%03d", day, i), "modify", "SUCCESS", now.Add(time.Duration(i)*time.Minute)))
			}
			for range 24 { // hourly polls
				o := opts(now)
				res := Diff(st, listWindow(WindowStart(st, o)), o)
				abandoned = append(abandoned, res.Abandoned...)
				st = res.Next
				now = now.Add(time.Hour)
			}
		}
		return st.Tasks.Len(), abandoned
	}
	normal, _ := run(false)
	stuck, abandoned := run(true)
	t.Logf("tasks kept after 30 days: %d without a stuck task, %d with one", normal, stuck)
	if stuck > 3*normal {
		t.Errorf("one task stuck in RUNNING makes the state keep every task since it started (%d vs %d) and every poll list them all", stuck, normal)
	}
	if fmt.Sprint(abandoned) != "[zombie]" {
		t.Errorf("abandoned %v, want the stuck task once", abandoned)
	}
}

// Once dropped, a stuck task is history: listed again (an API that ignores the window),
// it is neither followed nor announced, and it never makes the project active again.
func TestAbandonedTaskIsNotFollowedAgain(t *testing.T) {
	o := opts(t0)
	c := t0.Add(-time.Hour)
	zombie := task("z", "EXTEND", "RUNNING", c)
	prev := Diff(nil, []dcs.Task{zombie}, o).Next
	at := func(d time.Duration) Options { return opts(c.Add(d)) }

	before := at(o.MaxFollow - time.Minute)
	if got, want := WindowStart(prev, before), c.Add(-o.Margin); !got.Equal(want) || !Active(prev, before) {
		t.Fatalf("inside max_follow: window start %v (want %v), active %v (want true)", got, want, Active(prev, before))
	}
	after := at(o.MaxFollow + time.Minute)
	if got, want := WindowStart(prev, after), after.Now.Add(-o.Lookback-o.Margin); !got.Equal(want) || Active(prev, after) {
		t.Errorf("past max_follow: window start %v (want %v), active %v (want false)", got, want, Active(prev, after))
	}
	for _, listed := range [][]dcs.Task{{zombie}, nil} {
		res := Diff(prev, listed, after)
		if fmt.Sprint(res.Abandoned) != "[z]" || res.Next.Tasks.Len() != 0 || len(taskEvents(res.Events)) != 0 {
			t.Fatalf("listed %d: abandoned %v, left %v, events %v", len(listed), res.Abandoned, res.Next.Tasks, kinds(res.Events))
		}
		again := Diff(res.Next, []dcs.Task{task("z", "EXTEND", "SUCCESS", c)}, at(o.MaxFollow+time.Hour))
		if len(taskEvents(again.Events)) != 0 || again.History != 1 || again.Next.Tasks.Len() != 0 {
			t.Errorf("listed again after being dropped: events %v, history %d, followed %v", kinds(again.Events), again.History, again.Next.Tasks)
		}
	}
	// A stuck task that changes status past max_follow is announced, then dropped.
	res := Diff(prev, []dcs.Task{task("z", "EXTEND", "ROLLING_BACK", c)}, after)
	if fmt.Sprint(kinds(taskEvents(res.Events))) != "[z:RUNNING>ROLLING_BACK]" || fmt.Sprint(res.Abandoned) != "[z]" {
		t.Errorf("events %v abandoned %v", kinds(res.Events), res.Abandoned)
	}
}
