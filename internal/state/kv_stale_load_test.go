package state

import (
	"errors"
	"testing"

	"notifier/internal/diff"
	"notifier/internal/event"
)

// Lease revisions 5 (A) and 7 (B) of the same lease bucket: A won the lease, froze (VM
// pause, SIGSTOP) before its Load, and lost the lease to B, which loaded and claimed the
// shard. When A resumes, its Load finds a newer term of the same epoch and is refused; the
// healthy leader B goes on committing. (A recreated lease bucket is a newer epoch: see
// TestKVRoundTripAndFencing.)
func TestReplicaWithAnOlderLeaseNeverFencesTheLeader(t *testing.T) {
	kv := kvBucket(t)
	first, snap := loadKV(t, kv, KVOptions{Projects: []string{"p1"}, Term: 3})
	snap.Projects["p1"] = &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{"a": {Status: "RUNNING", Created: 5, Seq: 1}})}
	if err := first.Save(t.Context(), snap); err != nil {
		t.Fatal(err)
	}

	stale := NewKV(kv, KVOptions{Projects: []string{"p1"}, Term: 5}) // lease won, then frozen
	healthy, hsnap := loadKV(t, kv, KVOptions{Projects: []string{"p1"}, Term: 7})
	lh, _ := NewLedger(healthy, hsnap, []string{"nats"})

	_, staleErr := stale.Load(t.Context()) // resumes

	st := &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{"a": {Status: "SUCCESS", Created: 5, Seq: 2}})}
	err := lh.Commit(t.Context(), "p1", st, []event.Event{projectEvent("a-success", "p1")})
	if errors.Is(err, ErrFenced) {
		t.Errorf("the healthy leader (lease term 7) was fenced by a stale leader of lease term 5 (its Load: err = %v, term %d): %v",
			staleErr, stale.Term(), err)
	}
}
