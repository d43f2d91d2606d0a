package state

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"notifier/internal/diff"
)

// A state key deleted or purged while its leader runs (`nats kv del`, `nats kv purge`, a
// bucket created by hand with a TTL): the next write finds the key gone and creates it
// again, with the current term, from the state the leader holds. No commit fails, and the
// key ends up holding the last commit.
func TestDeletedStateKeyIsRecreatedFromMemory(t *testing.T) {
	for _, tc := range []struct {
		name   string
		remove func(context.Context, jetstream.KeyValue, string) error
	}{
		{"delete", func(ctx context.Context, kv jetstream.KeyValue, k string) error { return kv.Delete(ctx, k) }},
		{"purge", func(ctx context.Context, kv jetstream.KeyValue, k string) error { return kv.Purge(ctx, k) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kv := kvBucket(t)
			s, snap := loadKV(t, kv, KVOptions{Projects: []string{"p1"}, Term: 1})
			l, _ := NewLedger(s, snap, []string{"nats"})
			st := func(status string) *diff.ProjectState {
				return &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{"a": {Status: status, Created: 5}})}
			}
			if err := l.Commit(t.Context(), "p1", st("RUNNING"), nil); err != nil {
				t.Fatal(err)
			}
			if err := tc.remove(t.Context(), kv, Key("p1")); err != nil {
				t.Fatal(err)
			}
			for _, status := range []string{"SUCCESS", "FAILED", "CANCELLED", "DELETED"} {
				if err := l.Commit(t.Context(), "p1", st(status), nil); err != nil {
					t.Errorf("commit %s after the key was removed: %v", status, err)
				}
			}
			_, back := loadKV(t, kv, KVOptions{Projects: []string{"p1"}, Term: 2})
			if got := back.Projects["p1"].Tasks.Map()["a"].Status; got != "DELETED" {
				t.Errorf("the recreated key holds status %q, want the last commit's DELETED", got)
			}
		})
	}
}
