package state

import (
	"maps"
	"testing"

	"notifier/internal/diff"
	"notifier/internal/event"
)

// What a receiver remembers is saved with its project, survives a reload in both
// backends, is kept across the poller's commits (which know nothing of it), and is
// forgotten for a receiver removed from the config.
func TestReceiverMemorySurvivesCommitsAndRestartsInBothBackends(t *testing.T) {
	first := &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{"t1": {Status: "RUNNING", Created: 5}})}
	second := &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{"t1": {Status: "SUCCESS", Created: 5}})}
	ev := event.Event{ID: "e1", Data: event.Data{ProjectID: "p1"}}

	run := func(t *testing.T, open func(term uint64) Store) {
		st := open(1)
		snap, err := st.Load(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		l, _ := NewLedger(st, snap, []string{"cards", "gone"})
		if err := l.Commit(t.Context(), "p1", first, nil); err != nil {
			t.Fatal(err)
		}
		mem := l.Memory("cards")
		if err := mem.Remember(t.Context(), "p1", map[string]string{"t1": "1700000000.000100", "x": "1"}); err != nil {
			t.Fatal(err)
		}
		if err := l.Memory("gone").Remember(t.Context(), "p1", map[string]string{"k": "v"}); err != nil {
			t.Fatal(err)
		}
		if err := mem.Remember(t.Context(), "p1", map[string]string{"x": ""}); err != nil {
			t.Fatal(err)
		}
		// The poller commits a state built without the memory: it stays.
		if err := l.Commit(t.Context(), "p1", second, []event.Event{ev}); err != nil {
			t.Fatal(err)
		}
		if second.Receivers != nil {
			t.Fatal("Commit modified the poller's state")
		}
		if v, ok := mem.Recall("p1", "t1"); !ok || v != "1700000000.000100" {
			t.Fatalf("after a commit: Recall = %q, %v", v, ok)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}

		st = open(2)
		defer st.Close()
		snap, err = st.Load(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got := snap.Projects["p1"].Tasks.Map()["t1"].Status; got != "SUCCESS" {
			t.Fatalf("reloaded task status %q", got)
		}
		l, _ = NewLedger(st, snap, []string{"cards"}) // "gone" was removed
		got := l.Memory("cards").Recollect()
		want := map[string]map[string]string{"p1": {"t1": "1700000000.000100"}}
		if len(got) != 1 || !maps.Equal(got["p1"], want["p1"]) {
			t.Fatalf("reloaded memory %v, want %v", got, want)
		}
		if _, ok := l.Memory("gone").Recall("p1", "k"); ok {
			t.Fatal("a removed receiver's memory was kept")
		}
		if got := l.Forgotten(); len(got) != 1 || got["gone"] != 1 {
			t.Fatalf("Forgotten = %v, want gone: 1 (the caller says so in the log)", got)
		}
		if err := l.Memory("cards").Remember(t.Context(), "nope", map[string]string{"a": "b"}); err == nil {
			t.Fatal("remembering for a project with no state did not fail")
		}
	}

	t.Run("file", func(t *testing.T) {
		dir := t.TempDir()
		run(t, func(uint64) Store {
			f, err := OpenFile(dir)
			if err != nil {
				t.Fatal(err)
			}
			return f
		})
	})
	t.Run("nats-kv", func(t *testing.T) {
		kv := kvBucket(t)
		run(t, func(term uint64) Store {
			return NewKV(kv, KVOptions{Projects: []string{"p1"}, Term: term})
		})
	})
}
