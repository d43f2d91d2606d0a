package diff

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"notifier/internal/dcs"
	"notifier/internal/event"
)

var t0 = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

func opts(now time.Time) Options {
	return Options{Now: now, Policy: Policy{
		ProjectID: "p1", Region: "cn-north-4",
		Lookback: 24 * time.Hour, Margin: 10 * time.Minute,
		Terminal:  map[string]bool{"SUCCESS": true, "FAILED": true, "FAIL": true, "CANCELLED": true, "DELETED": true},
		MaxFollow: 7 * 24 * time.Hour,
	}}
}

func task(id, name, status string, created time.Time) dcs.Task {
	raw, _ := json.Marshal(map[string]any{"id": id, "name": name, "status": status, "created_at": created.Format(time.RFC3339Nano)})
	return dcs.Task{ID: id, Name: name, Status: status, Created: created, Raw: raw}
}

// taskEvents leaves out the events about the watch itself (a restored event after a
// state older than the lookback).
func taskEvents(evs []event.Event) []event.Event {
	var out []event.Event
	for _, e := range evs {
		if e.Type != event.TypeRestored && e.Type != event.TypeGap {
			out = append(out, e)
		}
	}
	return out
}

func kinds(evs []event.Event) []string {
	var out []string
	for _, e := range evs {
		s := e.Subject + ":"
		if e.Type == event.TypeCreated {
			s += "created:" + e.Data.Status
		} else {
			s += e.Data.PreviousStatus + ">" + e.Data.Status
		}
		out = append(out, s)
	}
	return out
}

func TestDiffSequence(t *testing.T) {
	type step struct {
		tasks []dcs.Task
		want  []string
	}
	c := t0.Add(-time.Hour)
	tests := []struct {
		name   string
		notify bool
		steps  []step
	}{
		{name: "baseline is silent, then changes are announced", steps: []step{
			{tasks: []dcs.Task{task("a", "EXTEND", "RUNNING", c), task("b", "BindEip", "SUCCESS", c)}},
			{tasks: []dcs.Task{task("a", "EXTEND", "SUCCESS", c), task("b", "BindEip", "SUCCESS", c), task("n", "masterStandbySwapJob", "RUNNING", c.Add(time.Minute))},
				want: []string{"a:RUNNING>SUCCESS", "n:created:RUNNING"}},
			{tasks: []dcs.Task{task("a", "EXTEND", "SUCCESS", c), task("n", "masterStandbySwapJob", "FAILED", c.Add(time.Minute))},
				want: []string{"n:RUNNING>FAILED"}},
			{tasks: []dcs.Task{task("a", "EXTEND", "SUCCESS", c), task("n", "masterStandbySwapJob", "FAILED", c.Add(time.Minute))}},
		}},
		{name: "notify announces the first poll", notify: true, steps: []step{
			{tasks: []dcs.Task{task("b", "BindEip", "SUCCESS", c.Add(time.Second)), task("a", "EXTEND", "RUNNING", c)},
				want: []string{"a:created:RUNNING", "b:created:SUCCESS"}},
		}},
		{name: "unknown names and statuses pass through", steps: []step{
			{},
			{tasks: []dcs.Task{task("x", "SomethingNew", "ROLLING_BACK", c)}, want: []string{"x:created:ROLLING_BACK"}},
			{tasks: []dcs.Task{task("x", "SomethingNew", "", c)}}, // empty status: no news
			{tasks: []dcs.Task{task("x", "SomethingNew", "DONE_SOMEHOW", c)}, want: []string{"x:ROLLING_BACK>DONE_SOMEHOW"}},
		}},
		{name: "duplicate id counts once, last listed wins", steps: []step{
			{},
			{tasks: []dcs.Task{task("d", "modify", "RUNNING", c), task("d", "modify", "SUCCESS", c)}, want: []string{"d:created:SUCCESS"}},
		}},
		{name: "duplicate id of a followed task counts once, last listed wins", steps: []step{
			{tasks: []dcs.Task{task("d", "modify", "RUNNING", c), task("e", "modify", "RUNNING", c)}},
			{tasks: []dcs.Task{task("d", "modify", "RUNNING", c), task("e", "modify", "RUNNING", c), task("d", "modify", "SUCCESS", c)},
				want: []string{"d:RUNNING>SUCCESS"}},
			{tasks: []dcs.Task{task("e", "modify", "FAILED", c), task("d", "modify", "SUCCESS", c), task("e", "modify", "FAILED", c)},
				want: []string{"e:RUNNING>FAILED"}},
		}},
		{name: "task without id is ignored", steps: []step{
			{},
			{tasks: []dcs.Task{{Name: "x", Status: "RUNNING"}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var prev *ProjectState
			for i, s := range tt.steps {
				o := opts(t0.Add(time.Duration(i) * time.Minute))
				o.Notify = tt.notify
				res := Diff(prev, s.tasks, o)
				if got := kinds(res.Events); fmt.Sprint(got) != fmt.Sprint(s.want) {
					t.Fatalf("step %d: events %v, want %v", i, got, s.want)
				}
				prev = res.Next
			}
		})
	}
}

func TestDiffDoesNotMutatePrevious(t *testing.T) {
	c := t0.Add(-time.Hour)
	prev := Diff(nil, []dcs.Task{task("a", "EXTEND", "RUNNING", c)}, opts(t0)).Next
	before := fmt.Sprint(prev.Tasks)
	res := Diff(prev, []dcs.Task{task("a", "EXTEND", "SUCCESS", c)}, opts(t0.Add(time.Minute)))
	if !res.Changed || len(res.Events) != 1 {
		t.Fatalf("changed %v events %d", res.Changed, len(res.Events))
	}
	if after := fmt.Sprint(prev.Tasks); after != before {
		t.Errorf("previous state modified: %s -> %s", before, after)
	}
}

func TestDiffUnchangedReturnsSameState(t *testing.T) {
	c := t0.Add(-time.Hour)
	tasks := []dcs.Task{task("a", "EXTEND", "SUCCESS", c), task("b", "modify", "RUNNING", c)}
	prev := Diff(nil, tasks, opts(t0)).Next
	res := Diff(prev, tasks, opts(t0.Add(time.Minute)))
	if res.Changed || res.Next != prev || len(res.Events) != 0 {
		t.Errorf("nothing changed but got changed=%v same=%v events=%d", res.Changed, res.Next == prev, len(res.Events))
	}
}

func TestEventIDsAreStable(t *testing.T) {
	c := t0.Add(-time.Hour)
	run := func() []string {
		prev := Diff(nil, nil, opts(t0)).Next
		var ids []string
		for i, st := range []string{"RUNNING", "SUCCESS", "RUNNING", "SUCCESS"} {
			res := Diff(prev, []dcs.Task{task("a", "EXTEND", st, c)}, opts(t0.Add(time.Duration(i+1)*time.Minute)))
			for _, e := range res.Events {
				ids = append(ids, e.ID)
			}
			prev = res.Next
		}
		return ids
	}
	a, b := run(), run()
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("ids differ between identical runs: %v vs %v", a, b)
	}
	seen := map[string]bool{}
	for _, id := range a {
		if seen[id] {
			t.Errorf("a repeated transition (SUCCESS again) reused id %s", id)
		}
		seen[id] = true
	}
}

func TestWindowFollowsRunningTasks(t *testing.T) {
	o := opts(t0)
	longAgo := t0.Add(-72 * time.Hour)
	prev := Diff(nil, []dcs.Task{task("old", "EXTEND", "RUNNING", longAgo)}, func() Options { o := o; o.Lookback = 100 * time.Hour; return o }()).Next
	if got, want := WindowStart(prev, o), longAgo.Add(-o.Margin); !got.Equal(want) {
		t.Errorf("window start %v, want %v (the running task's creation minus margin)", got, want)
	}
	if !Active(prev, o) {
		t.Error("a running task makes the project active")
	}
	done := Diff(prev, []dcs.Task{task("old", "EXTEND", "SUCCESS", longAgo)}, o).Next
	if got, want := WindowStart(done, o), t0.Add(-o.Lookback-o.Margin); !got.Equal(want) {
		t.Errorf("window start %v, want %v once nothing runs", got, want)
	}
	if Active(done, o) {
		t.Error("nothing runs")
	}
}

func TestPruneAndHorizon(t *testing.T) {
	o := opts(t0)
	c := t0.Add(-time.Hour)
	prev := Diff(nil, []dcs.Task{task("a", "EXTEND", "SUCCESS", c)}, o).Next
	// Two days later the task has left the lookback and the listing.
	later := opts(t0.Add(48 * time.Hour))
	res := Diff(prev, nil, later)
	if res.Pruned != 1 || res.Next.Tasks.Len() != 0 {
		t.Fatalf("pruned %d, left %d", res.Pruned, res.Next.Tasks.Len())
	}
	// A server that ignores the window lists it again: it is history, not a new task.
	res = Diff(res.Next, []dcs.Task{task("a", "EXTEND", "SUCCESS", c)}, later)
	if len(res.Events) != 0 || res.History != 1 {
		t.Errorf("events %v history %d; a forgotten task must not be announced again", kinds(res.Events), res.History)
	}
}

func TestRunningTaskMissingThenVanished(t *testing.T) {
	o := opts(t0)
	c := t0.Add(-time.Hour)
	prev := Diff(nil, []dcs.Task{task("r", "EXTEND", "RUNNING", c)}, o).Next
	res := Diff(prev, nil, opts(t0.Add(time.Minute)))
	if !res.Changed || res.Next.Tasks.Map()["r"].Missing == 0 {
		t.Fatal("a running task absent from a poll is marked missing")
	}
	back := Diff(res.Next, []dcs.Task{task("r", "EXTEND", "SUCCESS", c)}, opts(t0.Add(2*time.Minute)))
	if got := kinds(back.Events); fmt.Sprint(got) != "[r:RUNNING>SUCCESS]" || back.Next.Tasks.Map()["r"].Missing != 0 {
		t.Errorf("reappearing task: events %v missing %d", got, back.Next.Tasks.Map()["r"].Missing)
	}
	gone := Diff(res.Next, nil, opts(t0.Add(25*time.Hour+time.Minute)))
	if gone.Vanished != 1 || gone.Next.Tasks.Len() != 0 {
		t.Errorf("vanished %d left %d", gone.Vanished, gone.Next.Tasks.Len())
	}
}

func TestEventShape(t *testing.T) {
	c := t0.Add(-time.Hour)
	o := opts(t0)
	prev := Diff(nil, []dcs.Task{task("s", event.SwitchoverTask, "RUNNING", c)}, o).Next
	res := Diff(prev, []dcs.Task{task("s", event.SwitchoverTask, "FAILED", c)}, opts(t0.Add(time.Minute)))
	e := res.Events[0]
	if e.SpecVersion != "1.0" || e.Type != event.TypeStatusChanged || e.Source != "/huaweicloud/dcs/cn-north-4/projects/p1" ||
		e.Subject != "s" || e.DataContentType != "application/json" || e.Data.PreviousStatus != "RUNNING" ||
		e.Data.Severity != event.Critical || !e.Data.DetectedAt.Equal(t0.Add(time.Minute)) || len(e.ID) != 32 {
		t.Errorf("event = %+v", e)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var back event.Event
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Data.TaskName != event.SwitchoverTask || back.Data.Status != "FAILED" || string(back.Data.Task) != string(e.Data.Task) {
		t.Errorf("round trip lost routing fields: %+v", back.Data)
	}
}
