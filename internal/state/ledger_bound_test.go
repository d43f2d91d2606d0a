package state

import (
	"fmt"
	"testing"

	"notifier/internal/diff"
	"notifier/internal/event"
)

// A receiver that cannot deliver keeps at most its max_pending newest events: past it, its
// oldest are dropped for it alone, reported once, after the commit that dropped them was
// saved. The other receivers keep every event, and a failed commit reports nothing.
func TestReceiverBacklogIsBoundedForThatReceiverOnly(t *testing.T) {
	st := &failingStore{}
	dropped := map[string][]string{}
	l, _ := NewLedger(st, Empty(), []string{"nats", "dead"}, MaxPending("dead", 3),
		OnDrop(func(sink string, evs []event.Event) {
			for _, e := range evs {
				dropped[sink] = append(dropped[sink], e.ID)
			}
		}))
	next := &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{})}
	commit := func(ids ...string) error {
		evs := make([]event.Event, len(ids))
		for i, id := range ids {
			evs[i] = ev(id)
		}
		return l.Commit(t.Context(), "p", next, evs)
	}
	if err := commit("e1", "e2"); err != nil {
		t.Fatal(err)
	}
	st.fail = true
	if err := commit("e3", "e4", "e5"); err == nil {
		t.Fatal("want the save error")
	}
	if len(dropped) != 0 {
		t.Fatalf("a failed commit reported drops: %v", dropped)
	}
	st.fail = false
	if err := commit("e3", "e4", "e5"); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(dropped["dead"]); got != "[e1 e2]" {
		t.Errorf("dead receiver dropped %s, want its two oldest [e1 e2]", got)
	}
	if len(dropped["nats"]) != 0 {
		t.Errorf("nats dropped %v: a bound on one receiver touched another", dropped["nats"])
	}
	if got := l.Pending("dead", 10); len(got) != 3 || got[0].ID != "e3" {
		t.Errorf("dead receiver's pending = %v, want e3 e4 e5", got)
	}
	if l.Count("nats") != 5 || len(st.saved.Outbox) != 5 {
		t.Errorf("nats pending %d, saved outbox %d: want all 5", l.Count("nats"), len(st.saved.Outbox))
	}
	// The bound applies at start too (max_pending lowered in the config).
	l2, _ := NewLedger(st, st.saved, []string{"nats", "dead"}, MaxPending("nats", 1))
	if l2.Count("nats") != 1 || l2.Count("dead") != 3 || l2.Pending("nats", 1)[0].ID != "e5" {
		t.Errorf("after a restart with nats max_pending 1: nats %d dead %d", l2.Count("nats"), l2.Count("dead"))
	}
}
