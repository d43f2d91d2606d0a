package state

import (
	"context"
	"maps"
	"slices"

	"notifier/internal/event"
)

// LedgerOption configures a Ledger.
type LedgerOption func(*Ledger)

// MaxPending bounds the backlog of one receiver: past n undelivered events, its oldest are
// dropped for it alone (the default is DefaultMaxPending).
func MaxPending(sink string, n int) LedgerOption {
	return func(l *Ledger) {
		if n > 0 {
			l.maxPending[sink] = n
		}
	}
}

// OnDrop is told, after they were saved, the events a receiver dropped from its backlog.
func OnDrop(f func(sink string, evs []event.Event)) LedgerOption {
	return func(l *Ledger) { l.onDrop = f }
}

// Route decides, when an event is committed, which receivers it goes to; only those hold
// it in their queues. The default sends every event to every receiver.
func Route(f func(e *event.Event) []string) LedgerOption {
	return func(l *Ledger) { l.route = f }
}

// Watching names the projects the ledger's unit polls. What a receiver remembers of any
// other project (removed from the config, or no longer discovered) no event will ever
// end: Memory.Watched says so, and the receiver ends it and forgets it. Without this
// option every project counts as watched: the caller could not tell (a discovery listing
// failed), and a project missing by chance must not have its incidents resolved.
func Watching(projects []string) LedgerOption {
	return func(l *Ledger) {
		l.watching = make(map[string]bool, len(projects))
		for _, p := range projects {
			l.watching[p] = true
		}
	}
}

// SetWatching names anew the projects the ledger's unit polls (Watching), as a reload
// applied in place changes them; nil makes every project count as watched.
func (l *Ledger) SetWatching(projects []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if projects == nil {
		l.watching = nil
		return
	}
	Watching(projects)(l)
}

// AddProjects makes the ledger's store own projects too, as a reload applied in place
// adds them to the ledger's unit: nothing to do for a store that owns every project
// (File); a KV store owns those of its shard (KV.AddProjects, ErrStored).
func (l *Ledger) AddProjects(ctx context.Context, projects []string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if a, ok := l.store.(interface {
		AddProjects(context.Context, []string) error
	}); ok {
		return a.AddProjects(ctx, projects)
	}
	return nil
}

// OnCommit is told, once it is saved, every committed event and the receivers it was
// routed to (none: every filter refused it), in the order of the config. It is called
// before any receiver can take the event and before the drops of the same commit are
// reported, so a recorder of recent events sees each event before what became of it.
// It must not call the Ledger.
func OnCommit(f func(e *event.Event, to []string)) LedgerOption {
	return func(l *Ledger) { l.onCommit = f }
}

// SetReceivers changes the receivers while the ledger is in use (a reload applied in
// place): sinks is the new list, in the order of the config, and maxPending the bound of
// each (absent or 0: DefaultMaxPending). A receiver kept keeps its pending events and its
// memory, bounded anew (what is over its new bound is dropped for it and reported with
// the save, as a commit does); one no longer configured loses them, as at a start
// (NewLedger): removed counts its pending events, forgot the keys it remembered. The
// change is saved; when the save fails it is kept, saved with the next change, and the
// error returned. The caller stops a removed receiver's deliveries before, and starts an
// added one's after.
func (l *Ledger) SetReceivers(ctx context.Context, sinks []string, maxPending map[string]int) (removed, forgot map[string]int, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sinks = slices.Clone(sinks)
	l.maxPending = map[string]int{}
	for _, s := range sinks {
		if l.wake[s] == nil {
			l.wake[s] = make(chan struct{}, 1)
		}
		l.maxPending[s] = DefaultMaxPending
		if n := maxPending[s]; n > 0 {
			l.maxPending[s] = n
		}
	}
	for s := range l.wake {
		if !slices.Contains(sinks, s) {
			delete(l.wake, s)
		}
	}
	out, removed := withoutRemoved(l.snap.Outbox, sinks)
	out, over := l.bound(out)
	projects := maps.Clone(l.snap.Projects)
	forgot = forgetRemoved(projects, sinks)
	if removed == nil && over == nil && forgot == nil {
		return nil, nil, nil
	}
	l.snap = &Snapshot{Version: Version, Projects: projects, Outbox: out}
	l.dirty = true
	for s, evs := range over {
		if l.unsaved == nil {
			l.unsaved = map[string][]event.Event{}
		}
		l.unsaved[s] = append(l.unsaved[s], evs...)
	}
	return removed, forgot, l.saveLocked(ctx)
}
