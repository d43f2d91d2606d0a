package state

import (
	"fmt"
	"strings"
	"testing"

	"notifier/internal/diff"
	"notifier/internal/event"
)

// OnCommit hears each saved event with the receivers it was routed to, before the drops
// of the same commit; a failed commit tells it nothing.
func TestOnCommitHearsEachSavedEventWithItsRoute(t *testing.T) {
	st := &failingStore{}
	var heard []string
	route := func(e *event.Event) []string {
		if e.ID == "nobody" {
			return nil
		}
		return []string{"nats", "oncall"}
	}
	l, _ := NewLedger(st, Empty(), []string{"nats", "oncall"}, Route(route), MaxPending("oncall", 1),
		OnCommit(func(e *event.Event, to []string) {
			heard = append(heard, e.ID+"→"+strings.Join(to, "+"))
		}),
		OnDrop(func(sink string, evs []event.Event) {
			heard = append(heard, fmt.Sprintf("drop %s %s", sink, evs[0].ID))
		}))
	next := &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{})}
	st.fail = true
	if err := l.Commit(t.Context(), "p", next, []event.Event{ev("a")}); err == nil {
		t.Fatal("want the save error")
	}
	st.fail = false
	if err := l.Commit(t.Context(), "p", next, []event.Event{ev("a"), ev("nobody"), ev("b")}); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(heard), "[a→nats+oncall nobody→ b→nats+oncall drop oncall a]"; got != want {
		t.Errorf("heard %s, want %s", got, want)
	}
}
