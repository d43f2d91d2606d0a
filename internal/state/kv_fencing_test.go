package state

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"notifier/internal/diff"
	"notifier/internal/event"
)

// A new leader claims a project even before it has a key: an old leader, paused until
// after the takeover, that then Creates that key is fenced (ErrFenced, as docs/high-availability.md
// promises), and the new leader's commits of that project go through.
func TestOldLeaderCannotCreateAKeyAfterATakeover(t *testing.T) {
	kv := kvBucket(t)
	old := NewKV(kv, KVOptions{Projects: []string{"p1"}, Term: 1})
	if _, err := old.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Takeover: the new leader loads (no key exists) and so claims nothing.
	next, snap := loadKV(t, kv, KVOptions{Projects: []string{"p1"}, Term: 2})
	l, _ := NewLedger(next, snap, []string{"nats"})

	// The paused old leader's first commit of p1 arrives now.
	oldSnap := Empty()
	oldSnap.Projects["p1"] = &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{"a": {Status: "RUNNING", Created: 5}})}
	oldErr := old.Save(t.Context(), oldSnap)

	st := &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{"a": {Status: "SUCCESS", Created: 5, Seq: 1}})}
	e := projectEvent("e1", "p1")
	var newErrs []error
	for range 3 {
		newErrs = append(newErrs, l.Commit(t.Context(), "p1", st, []event.Event{e}))
	}
	if !errors.Is(oldErr, ErrFenced) {
		t.Errorf("old leader (term 1) wrote after the term-2 takeover: err = %v, want ErrFenced", oldErr)
	}
	if newErrs[len(newErrs)-1] != nil {
		t.Errorf("the current leader can never commit p1 again: %v", newErrs)
	}
}

// lossyKV applies a write and then reports a failure, as when the reply is lost (a
// timeout, the connection dropping) after the server applied it.
type lossyKV struct {
	jetstream.KeyValue
	fail atomic.Int32 // writes still to "lose"
}

func (k *lossyKV) Create(ctx context.Context, key string, b []byte, o ...jetstream.KVCreateOpt) (uint64, error) {
	rev, err := k.KeyValue.Create(ctx, key, b, o...)
	if err == nil && k.fail.Add(-1) >= 0 {
		return 0, context.DeadlineExceeded
	}
	return rev, err
}

func (k *lossyKV) Update(ctx context.Context, key string, b []byte, last uint64) (uint64, error) {
	rev, err := k.KeyValue.Update(ctx, key, b, last)
	if err == nil && k.fail.Add(-1) >= 0 {
		return 0, context.DeadlineExceeded
	}
	return rev, err
}

// A write whose reply is lost (applied by the server, reported failed) does not leave the
// store's revision stale: the sole writer's later saves of that key (Create or Update)
// succeed instead of being refused as ErrFenced for good.
func TestLostWriteReplyDoesNotFenceTheSoleWriter(t *testing.T) {
	for _, tc := range []struct {
		name      string
		committed bool // the key exists before the lost write (Update), or not (Create)
	}{{"update", true}, {"create", false}} {
		t.Run(tc.name, func(t *testing.T) {
			lk := &lossyKV{KeyValue: kvBucket(t)}
			s, snap := loadKV(t, lk, KVOptions{Projects: []string{"p1"}, Term: 1})
			l, _ := NewLedger(s, snap, []string{"nats"})
			st := func(status string) *diff.ProjectState {
				return &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{"a": {Status: status, Created: 5}})}
			}
			if tc.committed {
				if err := l.Commit(t.Context(), "p1", st("CREATED"), nil); err != nil {
					t.Fatal(err)
				}
			}
			lk.fail.Store(1)
			if err := l.Commit(t.Context(), "p1", st("RUNNING"), nil); err == nil {
				t.Fatal("the lossy write should report an error")
			}
			var errs []error
			for _, s := range []string{"RUNNING", "SUCCESS", "FAILED"} {
				errs = append(errs, l.Commit(t.Context(), "p1", st(s), nil))
			}
			if errs[len(errs)-1] != nil {
				t.Errorf("after one lost reply the sole writer can never commit again: %v", errs)
			}
		})
	}
}
