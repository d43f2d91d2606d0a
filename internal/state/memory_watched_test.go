package state

import (
	"testing"

	"notifier/internal/diff"
)

// A ledger told the projects it watches says which projects' memory no longer is; one
// told nothing (a discovery listing failed) counts every project as watched.
func TestMemoryKnowsTheProjectsNoLongerWatched(t *testing.T) {
	snap := Empty()
	for _, p := range []string{"kept", "removed"} {
		snap.Projects[p] = &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{})}
	}
	l, _ := NewLedger(&failingStore{}, snap, []string{"am"}, Watching([]string{"kept"}))
	mem := l.Memory("am")
	if !mem.Watched("kept") || mem.Watched("removed") {
		t.Errorf("Watched: kept %v, removed %v; want true, false", mem.Watched("kept"), mem.Watched("removed"))
	}
	// Its memory is still there to end, and can be forgotten.
	if err := mem.Remember(t.Context(), "removed", map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if err := mem.Remember(t.Context(), "removed", map[string]string{"k": ""}); err != nil {
		t.Fatal(err)
	}
	if got := mem.Recollect(); len(got) != 0 {
		t.Errorf("after forgetting: %v", got)
	}
	l, _ = NewLedger(&failingStore{}, snap, []string{"am"})
	if !l.Memory("am").Watched("removed") {
		t.Error("without Watching, a project counts as no longer watched")
	}
}
