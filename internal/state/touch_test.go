package state

import (
	"testing"

	"notifier/internal/diff"
)

// Touch keeps a state without saving it; the next save of any kind (here Flush) writes it.
func TestTouchIsSavedWithTheNextSave(t *testing.T) {
	dir := t.TempDir()
	f, err := OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, _ := NewLedger(f, Empty(), []string{"nats"})
	if err := l.Commit(t.Context(), "p1", &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{}), LastOK: 1}, nil); err != nil {
		t.Fatal(err)
	}
	if err := l.Memory("nats").Remember(t.Context(), "p1", map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	l.Touch("p1", &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{}), LastOK: 2})
	if got := l.Project("p1"); got.LastOK != 2 || got.Receivers["nats"]["k"] != "v" {
		t.Fatalf("in memory after Touch: %+v", got)
	}
	load := func() *diff.ProjectState {
		t.Helper()
		snap, err := f.Load(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return snap.Projects["p1"]
	}
	if got := load().LastOK; got != 1 {
		t.Fatalf("Touch saved: LastOK on disk %d, want 1", got)
	}
	if err := l.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := load(); got.LastOK != 2 || got.Receivers["nats"]["k"] != "v" {
		t.Fatalf("after Flush on disk: %+v", got)
	}
}
