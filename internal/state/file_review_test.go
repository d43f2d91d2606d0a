package state

import (
	"testing"

	"notifier/internal/diff"
)

// Two pending entries with the same event id (the ledger does not refuse them; an
// abandoned task listed again repeats its ids) are saved and loaded as they are: they
// once got two order numbers of which the file held the last twice, and Load then refused
// the file ("order repeated"), so the notifier could not start.
func TestFileSameEventIDTwiceLoads(t *testing.T) {
	dir := t.TempDir()
	f, _ := openCounting(t, dir)
	s := &Snapshot{Version: Version, Projects: map[string]*diff.ProjectState{"a": tasks(1)},
		Outbox: []Pending{
			{Event: pev("a", "a1"), Sinks: []string{"nats"}},
			{Event: pev("a", "a1"), Sinks: []string{"slack"}},
			{Event: pev("a", "a2"), Sinks: []string{"nats"}},
		}}
	if err := f.Save(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got, err := ReadDir(dir)
	if err != nil {
		t.Fatalf("load after saving an id twice: %v", err)
	}
	if snapJSON(t, got) != snapJSON(t, s) {
		t.Errorf("got %s\nwant %s", snapJSON(t, got), snapJSON(t, s))
	}
}
