package state

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"notifier/internal/diff"
)

// getHook runs hook once, right after the first Get of the wrapped KV returns.
type getHook struct {
	jetstream.KeyValue
	hook func()
}

func (k *getHook) Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error) {
	e, err := k.KeyValue.Get(ctx, key)
	if h := k.hook; h != nil {
		k.hook = nil
		h()
	}
	return e, err
}

// A new leader (term 2) reads the key in Load; before its claim is written, the paused old
// leader (term 1) commits a transition with its event, successfully, so it goes on to
// publish it. The claim is a revision-checked update of what Load read: it conflicts, reads
// the key again and claims that, so the old leader's commit and its pending event are in
// the new leader's snapshot and in the bucket.
func TestTakeoverNeverOverwritesACommitItHasNotRead(t *testing.T) {
	kv := kvBucket(t)
	old, snap := loadKV(t, kv, KVOptions{Projects: []string{"p1"}, Term: 1})
	snap.Projects["p1"] = &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{"swap": {Status: "RUNNING", Created: 5, Seq: 1}})}
	if err := old.Save(t.Context(), snap); err != nil {
		t.Fatal(err)
	}

	var oldErr error
	hk := &getHook{KeyValue: kv}
	hk.hook = func() { // the old leader's commit lands between the new leader's read and claim
		s := Empty()
		s.Projects["p1"] = &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{"swap": {Status: "FAILED", Created: 5, Seq: 2}})}
		s.Outbox = []Pending{{Event: projectEvent("swap-failed", "p1"), Sinks: []string{"nats"}}}
		oldErr = old.Save(t.Context(), s)
	}
	_, got := loadKV(t, hk, KVOptions{Projects: []string{"p1"}, Term: 2})
	if oldErr != nil {
		t.Fatalf("old leader's write failed (%v): that would be the expected fencing", oldErr)
	}
	_, stored := loadKV(t, kv, KVOptions{Projects: []string{"p1"}, Term: 3})
	for name, s := range map[string]*Snapshot{"the new leader loaded": got, "the bucket holds": stored} {
		if st := s.Projects["p1"].Tasks.Map()["swap"].Status; st != "FAILED" || len(s.Outbox) != 1 || s.Outbox[0].Event.ID != "swap-failed" {
			t.Errorf("after the takeover %s swap=%s with %d pending events: the old leader's successful commit was silently overwritten",
				name, st, len(s.Outbox))
		}
	}
}
