package state

import (
	"testing"

	"notifier/internal/event"
)

// Events dropped at start (a backlog above a lowered max_pending) are reported only once
// the drop was saved: a store that keeps failing, or a leader that loses its lease before
// its first save, does not count the same events again at every start.
func TestDropsAtStartAreReportedOnlyOnceSaved(t *testing.T) {
	st := &failingStore{fail: true}
	snap := Empty()
	for _, id := range []string{"e1", "e2", "e3"} {
		snap.Outbox = append(snap.Outbox, Pending{Event: ev(id), Sinks: []string{"dead"}})
	}
	reported := 0
	onDrop := OnDrop(func(_ string, evs []event.Event) { reported += len(evs) })
	for range 2 { // two starts on the same stored state; no save succeeds in between
		l, _ := NewLedger(st, snap, []string{"dead"}, MaxPending("dead", 1), onDrop)
		_ = l.Flush(t.Context())
	}
	if reported != 0 {
		t.Errorf("%d drops reported although no save of them succeeded (the same 2 events, reported at each start)", reported)
	}
}
