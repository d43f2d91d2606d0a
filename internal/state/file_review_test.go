package state

import (
	"errors"
	"strings"
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

// A save that fails keeps the order numbers of the events it did not hold: a commit whose
// save fails after a receiver's oldest event was dropped from it leaves that event pending
// in the ledger, and the next save holds it again. It once got a new number, after the
// events committed since, and after a restart it came after them.
func TestFileFailedSaveKeepsTheOrderOfEventsItLeftOut(t *testing.T) {
	dir := t.TempDir()
	f, _ := openCounting(t, dir)
	s0 := &Snapshot{Version: Version, Projects: map[string]*diff.ProjectState{"a": tasks(1), "b": tasks(1)},
		Outbox: []Pending{{Event: pev("b", "b1"), Sinks: []string{"nats"}}, {Event: pev("b", "b2"), Sinks: []string{"nats"}}}}
	if err := f.Save(t.Context(), s0); err != nil {
		t.Fatal(err)
	}
	// The commit of a, with b1 dropped over the bound: b's file cannot be written.
	s1 := &Snapshot{Version: Version, Projects: map[string]*diff.ProjectState{"a": tasks(2), "b": s0.Projects["b"]},
		Outbox: []Pending{{Event: pev("b", "b2"), Sinks: []string{"nats"}}}}
	f.failWrite = func(name string) error {
		if name == "b.json" {
			return errors.New("disk full")
		}
		return nil
	}
	if err := f.Save(t.Context(), s1); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("save: %v, want the error", err)
	}
	f.failWrite = nil
	// Nothing was committed: the ledger still holds b1 and b2; b commits b3.
	s2 := &Snapshot{Version: Version, Projects: map[string]*diff.ProjectState{"a": s0.Projects["a"], "b": tasks(3)},
		Outbox: []Pending{
			{Event: pev("b", "b1"), Sinks: []string{"nats"}},
			{Event: pev("b", "b2"), Sinks: []string{"nats"}},
			{Event: pev("b", "b3"), Sinks: []string{"nats"}},
		}}
	if err := f.Save(t.Context(), s2); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got := readState(t, dir)
	var ids []string
	for _, p := range got.Outbox {
		ids = append(ids, p.Event.ID)
	}
	if strings.Join(ids, ",") != "b1,b2,b3" {
		t.Errorf("outbox after a restart: %v, want b1,b2,b3", ids)
	}
}
