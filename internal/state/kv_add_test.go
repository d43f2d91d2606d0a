package state

import (
	"errors"
	"testing"

	"notifier/internal/diff"
)

// A project added to a running store (a reload in place adds it to a shard led now) is
// saved from then on and loaded by the next leader; a project with state stored already
// is refused (ErrStored), since only a load reads it, and the store owns none of those
// asked.
func TestKVAddProjectsJoinsOnlyWhatHasNothingStored(t *testing.T) {
	kv := kvBucket(t)
	// p2 was watched once: its state is in the bucket.
	before, snap := loadKV(t, kv, KVOptions{Projects: []string{"p2"}, Term: 1})
	snap.Projects["p2"] = &diff.ProjectState{Horizon: 1, Tasks: diff.TasksOf(map[string]diff.TaskState{})}
	if err := before.Save(t.Context(), snap); err != nil {
		t.Fatal(err)
	}

	s, snap := loadKV(t, kv, KVOptions{Projects: []string{"p1"}, Term: 2})
	if err := s.AddProjects(t.Context(), []string{"p3", "p2"}); !errors.Is(err, ErrStored) {
		t.Fatalf("adding a project with stored state: %v, want ErrStored", err)
	}
	if err := s.AddProjects(t.Context(), []string{"p1", "p3"}); err != nil {
		t.Fatalf("adding a project with nothing stored: %v", err)
	}
	snap.Projects["p3"] = &diff.ProjectState{Horizon: 3, Tasks: diff.TasksOf(map[string]diff.TaskState{"a": {Status: "RUNNING", Created: 5, Seq: 1}})}
	snap.Outbox = []Pending{{Event: projectEvent("e3", "p3"), Sinks: []string{"nats"}}}
	if err := s.Save(t.Context(), snap); err != nil {
		t.Fatal(err)
	}
	_, got := loadKV(t, kv, KVOptions{Projects: []string{"p1", "p3"}, Term: 3})
	if _, ok := got.Projects["p3"].Tasks.Map()["a"]; !ok || len(got.Outbox) != 1 || got.Outbox[0].Event.ID != "e3" {
		t.Fatalf("the added project's state and event were not saved: %+v", got)
	}
	// The refused p2 was not owned: its stored state is the one written before.
	_, old := loadKV(t, kv, KVOptions{Projects: []string{"p2"}, Term: 4})
	if old.Projects["p2"].Horizon != 1 {
		t.Errorf("the refused project's state changed: %+v", old.Projects["p2"])
	}
	// The store that lost the lease cannot write the added project any more.
	snap.Projects["p3"] = &diff.ProjectState{Horizon: 4, Tasks: diff.TasksOf(map[string]diff.TaskState{})}
	if err := s.Save(t.Context(), snap); !errors.Is(err, ErrFenced) {
		t.Errorf("a fenced leader's save of the added project: %v, want ErrFenced", err)
	}
}
