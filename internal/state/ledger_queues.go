package state

import (
	"context"
	"slices"

	"notifier/internal/event"
)

// bound drops, for every receiver past its maximum, its oldest pending events. It returns
// the outbox to keep (outbox itself when nothing is dropped; it is never modified) and what
// each receiver dropped.
func (l *Ledger) bound(outbox []Pending) ([]Pending, map[string][]event.Event) {
	count := make(map[string]int, len(l.sinks))
	for _, p := range outbox {
		for _, s := range p.Sinks {
			count[s]++
		}
	}
	excess := map[string]int{}
	for _, s := range l.sinks {
		if n := count[s] - l.maxPending[s]; n > 0 {
			excess[s] = n
		}
	}
	if len(excess) == 0 {
		return outbox, nil
	}
	over := map[string][]event.Event{}
	out := make([]Pending, 0, len(outbox))
	for _, p := range outbox {
		keep := p.Sinks
		for _, s := range p.Sinks {
			if excess[s] > 0 && slices.Contains(keep, s) {
				excess[s]--
				over[s] = append(over[s], p.Event)
				keep = slices.DeleteFunc(slices.Clone(keep), func(x string) bool { return x == s })
			}
		}
		if len(keep) > 0 {
			out = append(out, Pending{Event: p.Event, Sinks: keep})
		}
	}
	return out, over
}

// routeOf returns the configured receivers e goes to, in the order of l.sinks.
func (l *Ledger) routeOf(e *event.Event) []string {
	if l.route == nil {
		return l.sinks
	}
	to := l.route(e)
	return slices.DeleteFunc(slices.Clone(l.sinks), func(s string) bool { return !slices.Contains(to, s) })
}

// reportDrops tells OnDrop the events each receiver dropped from its backlog, receiver by
// receiver in the order of the config.
func (l *Ledger) reportDrops(over map[string][]event.Event) {
	if l.onDrop == nil {
		return
	}
	for _, s := range l.sinks {
		if evs := over[s]; len(evs) > 0 {
			l.onDrop(s, evs)
		}
	}
}

// Pending returns up to max events still pending for sink, oldest first.
func (l *Ledger) Pending(sink string, max int) []event.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var evs []event.Event
	for _, p := range l.snap.Outbox {
		if slices.Contains(p.Sinks, sink) {
			evs = append(evs, p.Event)
			if len(evs) == max {
				break
			}
		}
	}
	return evs
}

// Count returns how many events are pending for sink.
func (l *Ledger) Count(sink string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, p := range l.snap.Outbox {
		if slices.Contains(p.Sinks, sink) {
			n++
		}
	}
	return n
}

// Wake signals (capacity one) when new events were committed.
func (l *Ledger) Wake(sink string) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wake[sink]
}

// Done records that sink delivered (or gave up on) the events with these ids, and saves.
// When the save fails the record is kept in memory and saved with the next change: a
// crash in between makes the sink deliver those events again, never lose them.
func (l *Ledger) Done(ctx context.Context, sink string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	done := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		done[id] = struct{}{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	outbox := make([]Pending, 0, len(l.snap.Outbox))
	for _, p := range l.snap.Outbox {
		if _, ok := done[p.Event.ID]; ok && slices.Contains(p.Sinks, sink) {
			rest := slices.DeleteFunc(slices.Clone(p.Sinks), func(s string) bool { return s == sink })
			if len(rest) == 0 {
				continue
			}
			p = Pending{Event: p.Event, Sinks: rest}
		}
		outbox = append(outbox, p)
	}
	l.snap = &Snapshot{Version: Version, Projects: l.snap.Projects, Outbox: outbox}
	l.dirty = true
	return l.saveLocked(ctx)
}
