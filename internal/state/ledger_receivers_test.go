package state

import (
	"fmt"
	"testing"

	"notifier/internal/diff"
	"notifier/internal/event"
)

// A reload applied in place changes the receivers of a running ledger as a restart would:
// a receiver kept keeps its backlog and memory (bounded by its new max_pending, the
// excess reported once saved), a removed one loses them, counted for the log, an added
// one gets the events committed after, and everything is saved.
func TestSetReceiversKeepsWhatStaysAndCountsWhatGoes(t *testing.T) {
	st := &failingStore{}
	dropped := map[string][]string{}
	l, _ := NewLedger(st, Empty(), []string{"nats", "dead", "gone"}, OnDrop(func(sink string, evs []event.Event) {
		for _, e := range evs {
			dropped[sink] = append(dropped[sink], e.ID)
		}
	}))
	next := &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{})}
	if err := l.Commit(t.Context(), "p", next, []event.Event{ev("e1"), ev("e2"), ev("e3")}); err != nil {
		t.Fatal(err)
	}
	if err := l.Memory("gone").Remember(t.Context(), "p", map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if err := l.Memory("dead").Remember(t.Context(), "p", map[string]string{"card": "1"}); err != nil {
		t.Fatal(err)
	}
	removed, forgot, err := l.SetReceivers(t.Context(), []string{"nats", "dead", "new"}, map[string]int{"dead": 2})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(removed) != "map[gone:3]" || fmt.Sprint(forgot) != "map[gone:1]" {
		t.Errorf("removed %v forgot %v, want gone's 3 events and 1 key", removed, forgot)
	}
	if l.Count("nats") != 3 || l.Count("gone") != 0 || l.Count("new") != 0 {
		t.Errorf("pending nats %d gone %d new %d, want 3 0 0", l.Count("nats"), l.Count("gone"), l.Count("new"))
	}
	if got := l.Pending("dead", 10); len(got) != 2 || got[0].ID != "e2" {
		t.Errorf("dead's pending = %v, want its 2 newest (its new max_pending)", got)
	}
	if fmt.Sprint(dropped) != "map[dead:[e1]]" {
		t.Errorf("reported drops %v, want dead's oldest, once saved", dropped)
	}
	if v, ok := l.Memory("dead").Recall("p", "card"); !ok || v != "1" {
		t.Error("a receiver kept forgot what it remembered")
	}
	if _, ok := st.saved.Projects["p"].Receivers["gone"]; ok || len(st.saved.Outbox) != 3 {
		t.Errorf("the change was not saved: %+v", st.saved)
	}
	if l.Wake("new") == nil || l.Wake("gone") != nil {
		t.Error("the wake channels do not follow the receivers")
	}
	if err := l.Commit(t.Context(), "p", next, []event.Event{ev("e4")}); err != nil {
		t.Fatal(err)
	}
	if l.Count("new") != 1 || l.Pending("new", 1)[0].ID != "e4" {
		t.Error("an added receiver does not get the events committed after")
	}

	// The same receivers again: nothing to save.
	st.fail = true
	if _, _, err := l.SetReceivers(t.Context(), []string{"nats", "dead", "new"}, map[string]int{"dead": 2}); err != nil {
		t.Errorf("an unchanged set of receivers saved anyway: %v", err)
	}
}
