package state

import (
	"fmt"
	"testing"
	"time"

	"notifier/internal/diff"
	"notifier/internal/event"
)

// The upgrade path of issue 10 defect 4. The previous version kept every pending event in
// the project's value; with a dead webhook that value grew until the next commit no longer
// fit max_payload. Load copies the old outbox to event keys before it claims the key, so
// the claimed value holds the state alone, and the next commits succeed.
func TestUpgradeFreesAProjectTheOldFormatFilled(t *testing.T) {
	const maxValue = 60 << 10 // plain JSON below the gzip threshold, as both versions write it
	kv := kvBucket(t)
	type oldValue struct { // the previous format
		Term   uint64             `json:"term"`
		State  *diff.ProjectState `json:"state,omitempty"`
		Outbox []Pending          `json:"outbox"`
	}
	st := &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{"t": {Status: "SUCCESS", Created: 5, Seq: 1}})}
	mk := func(i int) Pending {
		e := projectEvent(event.ID("p1", fmt.Sprint("task-", i), 1, "RUNNING", "SUCCESS"), "p1")
		e.Time = time.Unix(1700000000, 0).UTC()
		e.Data.Task = []byte(fmt.Sprintf(`{"id":"task-%d","name":"restart","status":"SUCCESS","created_at":"2024-01-01T00:00:00Z"}`, i))
		return Pending{Event: e, Sinks: []string{"slack[0]"}} // NATS delivered it long ago
	}
	old := oldValue{Term: 40, State: st}
	var b []byte
	for i := 0; ; i++ { // the old leader committed until the value no longer fit
		next := old
		next.Outbox = append(append([]Pending(nil), old.Outbox...), mk(i))
		nb, err := encodeValue(next)
		if err != nil {
			t.Fatal(err)
		}
		if len(nb) > maxValue {
			break
		}
		old, b = next, nb
	}
	if _, err := kv.Create(t.Context(), Key("p1"), b); err != nil {
		t.Fatal(err)
	}
	t.Logf("old value: %d pending events, %d bytes of %d", len(old.Outbox), len(b), maxValue)

	s := NewKV(kv, KVOptions{Projects: []string{"p1"}, Term: 41, MaxValue: maxValue})
	snap, err := s.Load(t.Context())
	if err != nil {
		t.Fatalf("loading the old value: %v", err)
	}
	l, _ := NewLedger(s, snap, []string{"nats", "slack[0]"})
	next := &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{"t": {Status: "SUCCESS", Created: 5, Seq: 1}, "u": {Status: "FAILED", Created: 6, Seq: 1}})}
	e := projectEvent(event.ID("p1", "u", 1, "", "FAILED"), "p1")
	var errs []error
	for range 3 { // the poll is repeated after each failed commit
		errs = append(errs, l.Commit(t.Context(), "p1", next, []event.Event{e}))
	}
	if errs[len(errs)-1] != nil {
		t.Errorf("after the upgrade the project that the old format wedged is still wedged: %v", errs[len(errs)-1])
	}
}
