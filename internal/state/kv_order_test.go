package state

import (
	"testing"

	"notifier/internal/diff"
	"notifier/internal/event"
)

// A shard of two projects commits p2's event first, then p1's. After a takeover the
// pending events are in commit order across projects, so receivers get p2's older event
// first, and the backlog bound, which drops the oldest, keeps the newest.
func TestTakeoverKeepsCommitOrderAcrossProjects(t *testing.T) {
	kv := kvBucket(t)
	projects := []string{"p1", "p2"}
	a, snap := loadKV(t, kv, KVOptions{Projects: projects, Term: 1})
	la, _ := NewLedger(a, snap, []string{"slack[0]"})
	st := &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{})}
	if err := la.Commit(t.Context(), "p2", st, []event.Event{projectEvent("e-old", "p2")}); err != nil {
		t.Fatal(err)
	}
	if err := la.Commit(t.Context(), "p1", st, []event.Event{projectEvent("e-new", "p1")}); err != nil {
		t.Fatal(err)
	}
	if got := la.Pending("slack[0]", 10); len(got) != 2 || got[0].ID != "e-old" {
		t.Fatalf("before the takeover: %v", got)
	}

	b, bsnap := loadKV(t, kv, KVOptions{Projects: projects, Term: 2})
	var ids []string
	for _, p := range bsnap.Outbox {
		ids = append(ids, p.Event.ID)
	}
	if len(ids) != 2 || ids[0] != "e-old" {
		t.Errorf("after the takeover the pending events are %v, want commit order [e-old e-new]", ids)
	}
	lb, _ := NewLedger(b, bsnap, []string{"slack[0]"}, MaxPending("slack[0]", 1))
	if got := lb.Pending("slack[0]", 10); len(got) != 1 || got[0].ID != "e-new" {
		t.Errorf("max_pending 1 after the takeover keeps %v, want the newest e-new", got)
	}
}
