package diff

import (
	"encoding/json"
	"testing"
	"time"

	"notifier/internal/dcs"
)

// A task first seen finished started and ended between two polls: its created event says
// that its earlier statuses were not seen; one first seen running, or a status change,
// does not.
func TestCreatedEventOfAFinishedTaskSaysItsStatusesWereUnseen(t *testing.T) {
	c := t0.Add(-time.Hour)
	prev := Diff(nil, []dcs.Task{task("old", "EXTEND", "SUCCESS", c)}, opts(t0)).Next
	res := Diff(prev, []dcs.Task{
		task("old", "EXTEND", "SUCCESS", c),
		task("quick", "masterStandbySwapJob", "SUCCESS", c.Add(time.Minute)),
		task("failed", "masterStandbySwapJob", "failed", c.Add(2*time.Minute)), // case ignored
		task("slow", "EXTEND", "RUNNING", c.Add(3*time.Minute)),
	}, opts(t0.Add(time.Minute)))
	got := map[string]bool{}
	for _, e := range taskEvents(res.Events) {
		got[e.Subject] = e.Data.UnseenStatuses
		b, err := json.Marshal(e.Data)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if v, ok := m["unseen_statuses"]; ok != e.Data.UnseenStatuses || ok && v != true {
			t.Errorf("%s: data.unseen_statuses in JSON = %v (present %v), want present only when true", e.Subject, v, ok)
		}
	}
	want := map[string]bool{"quick": true, "failed": true, "slow": false}
	for id, w := range want {
		if u, ok := got[id]; !ok || u != w {
			t.Errorf("%s: unseen_statuses %v (event %v), want %v", id, u, ok, w)
		}
	}
	next := Diff(res.Next, []dcs.Task{task("slow", "EXTEND", "SUCCESS", c.Add(3*time.Minute))}, opts(t0.Add(2*time.Minute)))
	for _, e := range taskEvents(next.Events) {
		if e.Data.UnseenStatuses {
			t.Errorf("%s: the end of a task seen running says its statuses were unseen", e.Subject)
		}
	}
	if len(taskEvents(next.Events)) != 1 {
		t.Fatalf("events %v, want the end of slow", kinds(next.Events))
	}
}
