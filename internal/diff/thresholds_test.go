package diff

import (
	"fmt"
	"testing"
	"time"

	"notifier/internal/dcs"
	"notifier/internal/event"
)

// Tasks of several names running in one poll each get their own name's threshold: a
// threshold is computed once per name and poll, never shared across names.
func TestEachNameKeepsItsThresholdInOnePoll(t *testing.T) {
	var listed []dcs.Task
	for i := range 5 {
		created := t0.Add(-time.Duration(i+1) * time.Hour)
		listed = append(listed, finished(fmt.Sprint("e", i), "EXTEND", created, 2*time.Minute), // 3 × 2m = 6m
			finished(fmt.Sprint("b", i), "BACKUP", created, 20*time.Minute)) // 3 × 20m = 1h
	}
	prev := Diff(nil, listed, stuckOpts(t0)).Next
	var running []dcs.Task
	for i := range 3 {
		running = append(running, task(fmt.Sprint("re", i), "EXTEND", "RUNNING", t0), task(fmt.Sprint("rb", i), "BACKUP", "RUNNING", t0))
	}
	prev = Diff(prev, append(listed, running...), stuckOpts(t0)).Next
	res := Diff(prev, append(listed, running...), stuckOpts(t0.Add(10*time.Minute)))
	stuck := ofType(res.Events, event.TypeStuck)
	if len(stuck) != 3 {
		t.Fatalf("%d stuck events after 10 minutes, want the 3 EXTEND tasks (6m), not BACKUP (1h)", len(stuck))
	}
	for _, e := range stuck {
		if e.Data.TaskName != "EXTEND" || e.Data.ThresholdSeconds != 360 {
			t.Errorf("stuck %s (%s) at %d s, want EXTEND at 360 s", e.Subject, e.Data.TaskName, e.Data.ThresholdSeconds)
		}
	}
	res = Diff(res.Next, append(listed, running...), stuckOpts(t0.Add(61*time.Minute)))
	if stuck := ofType(res.Events, event.TypeStuck); len(stuck) != 3 || stuck[0].Data.TaskName != "BACKUP" || stuck[0].Data.ThresholdSeconds != 3600 {
		t.Errorf("after 61 minutes: %d stuck events, want the 3 BACKUP tasks at 3600 s", len(stuck))
	}
}
