package state

import (
	"context"
	"maps"
	"slices"
	"sync"

	"notifier/internal/diff"
	"notifier/internal/event"
)

// Ledger owns the snapshot while the notifier runs. A poll's result and the events it
// produced are committed together, saved before any sink sees them; each sink takes its
// pending events in order and reports them done. Methods are safe for concurrent use.
type Ledger struct {
	mu         sync.Mutex
	store      Store
	snap       *Snapshot
	sinks      []string
	wake       map[string]chan struct{}
	maxPending map[string]int
	onDrop     func(sink string, evs []event.Event)
	route      func(e *event.Event) []string
	onCommit   func(e *event.Event, to []string)
	unsaved    map[string][]event.Event // drops not yet saved, reported once they are
	dirty      bool                     // snap is newer than what the store holds
	forgot     map[string]int           // keys remembered by receivers no longer configured, dropped at start
	watching   map[string]bool          // the projects polled (Watching); nil: every project
}

// DefaultMaxPending is how many undelivered events a receiver keeps unless told otherwise.
const DefaultMaxPending = 10000

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

// NewLedger starts from a loaded snapshot. Pending events keep only the receivers still
// configured (an event for a receiver that was removed would wait forever): removed says,
// per receiver no longer configured, how many pending events it lost. Events already
// pending are not sent to receivers added since.
func NewLedger(store Store, snap *Snapshot, sinks []string, opts ...LedgerOption) (l *Ledger, removed map[string]int) {
	l = &Ledger{store: store, snap: snap, sinks: slices.Clone(sinks), wake: map[string]chan struct{}{}, maxPending: map[string]int{}}
	for _, s := range sinks {
		l.wake[s] = make(chan struct{}, 1)
		l.maxPending[s] = DefaultMaxPending
	}
	for _, o := range opts {
		o(l)
	}
	out, removed := withoutRemoved(snap.Outbox, sinks)
	out, over := l.bound(out)
	projects := maps.Clone(snap.Projects)
	l.forgot = forgetRemoved(projects, sinks)
	if len(removed) > 0 || len(over) > 0 || len(l.forgot) > 0 {
		l.snap = &Snapshot{Version: snap.Version, Projects: projects, Outbox: out}
		l.dirty = true
		l.unsaved = over // reported with the first save: a start that cannot save reports nothing
	}
	return l, removed
}

// withoutRemoved returns outbox with only the receivers in sinks (outbox itself, never
// modified), and how many pending events each receiver not in sinks had.
func withoutRemoved(outbox []Pending, sinks []string) (out []Pending, removed map[string]int) {
	for _, p := range outbox {
		keep := slices.DeleteFunc(slices.Clone(p.Sinks), func(s string) bool {
			if slices.Contains(sinks, s) {
				return false
			}
			if removed == nil {
				removed = map[string]int{}
			}
			removed[s]++
			return true
		})
		if len(keep) > 0 {
			out = append(out, Pending{Event: p.Event, Sinks: keep})
		}
	}
	if removed == nil {
		return outbox, nil
	}
	return out, removed
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

// Project returns the committed state of a project, nil before its first poll. The caller
// must not modify it.
func (l *Ledger) Project(id string) *diff.ProjectState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.snap.Projects[id]
}

// Commit saves a project's next state and its new events, pending for every sink, as one
// unit. On error nothing is committed: the poll can be repeated and will find the same
// transitions.
func (l *Ledger) Commit(ctx context.Context, projectID string, next *diff.ProjectState, evs []event.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	projects := maps.Clone(l.snap.Projects)
	projects[projectID] = keepMemory(l.snap.Projects[projectID], next)
	outbox := l.snap.Outbox
	var routed [][]string // per event, for onCommit
	if len(evs) > 0 && len(l.sinks) > 0 {
		outbox = make([]Pending, len(l.snap.Outbox), len(l.snap.Outbox)+len(evs))
		copy(outbox, l.snap.Outbox)
		routed = make([][]string, len(evs))
		for i := range evs {
			if to := l.routeOf(&evs[i]); len(to) > 0 {
				outbox = append(outbox, Pending{Event: evs[i], Sinks: to})
				routed[i] = to
			}
		}
	}
	outbox, over := l.bound(outbox)
	snap := &Snapshot{Version: Version, Projects: projects, Outbox: outbox}
	if err := l.store.Save(ctx, snap); err != nil {
		return err
	}
	l.snap, l.dirty = snap, false
	if l.onCommit != nil {
		for i := range evs {
			var to []string
			if routed != nil {
				to = routed[i]
			}
			l.onCommit(&evs[i], to)
		}
	}
	l.reportDrops(l.unsaved)
	l.reportDrops(over)
	l.unsaved = nil
	if len(evs) > 0 {
		for _, c := range l.wake {
			select {
			case c <- struct{}{}:
			default:
			}
		}
	}
	return nil
}

// Touch keeps a project's next state without saving it, for a change not worth a write of
// its own (the time of the last successful poll, diff.Result.LastOKOnly): it is saved with
// the next save of any kind (a commit, a delivery's Done, Flush). A crash before that loses
// only that change.
func (l *Ledger) Touch(projectID string, next *diff.ProjectState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	projects := maps.Clone(l.snap.Projects)
	projects[projectID] = keepMemory(l.snap.Projects[projectID], next)
	l.snap = &Snapshot{Version: Version, Projects: projects, Outbox: l.snap.Outbox}
	l.dirty = true
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

// Flush saves what Done could not.
func (l *Ledger) Flush(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.dirty {
		return nil
	}
	return l.saveLocked(ctx)
}

func (l *Ledger) saveLocked(ctx context.Context) error {
	if err := l.store.Save(ctx, l.snap); err != nil {
		return err
	}
	l.dirty = false
	l.reportDrops(l.unsaved)
	l.unsaved = nil
	return nil
}
