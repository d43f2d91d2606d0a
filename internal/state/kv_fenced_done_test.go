package state

import (
	"errors"
	"testing"

	"notifier/internal/diff"
	"notifier/internal/event"
)

// An old leader A, whose lease was taken over by B, still finishes a delivery and calls
// Done (delivery progress is saved after the lease is lost too). Every write of an event
// key checks the revision its writer last saw: B delivered the event to every receiver and
// deleted its key, so A's update fails, A finds the state key is B's, and its Done returns
// ErrFenced. The next leader finds nothing pending.
func TestFencedLeaderNeverBringsBackADeliveredEvent(t *testing.T) {
	kv := kvBucket(t)
	sinks := []string{"nats", "slack[0]"}
	a, snap := loadKV(t, kv, KVOptions{Projects: []string{"p1"}, Term: 1})
	la, _ := NewLedger(a, snap, sinks)
	st := &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{"swap": {Status: "FAILED", Created: 5, Seq: 1}})}
	e := projectEvent("swap-failed", "p1")
	if err := la.Commit(t.Context(), "p1", st, []event.Event{e}); err != nil {
		t.Fatal(err)
	}

	// B takes over and delivers the event to both receivers: its key is deleted.
	b, bsnap := loadKV(t, kv, KVOptions{Projects: []string{"p1"}, Term: 2})
	lb, _ := NewLedger(b, bsnap, sinks)
	for _, s := range sinks {
		if err := lb.Done(t.Context(), s, []string{e.ID}); err != nil {
			t.Fatal(err)
		}
	}

	// A, still running after losing its lease, records its (duplicate) Slack post.
	aErr := la.Done(t.Context(), "slack[0]", []string{e.ID})

	// The next leader must find nothing pending: every receiver got the event.
	_, csnap := loadKV(t, kv, KVOptions{Projects: []string{"p1"}, Term: 3})
	if len(csnap.Outbox) != 0 {
		t.Errorf("after B delivered %s to every receiver, the fenced leader A (Done err = %v) wrote it back: the next leader owes it to %v again",
			e.ID, aErr, csnap.Outbox[0].Sinks)
	}
	if !errors.Is(aErr, ErrFenced) {
		t.Errorf("fenced leader's Done: err = %v, want ErrFenced", aErr)
	}
}
