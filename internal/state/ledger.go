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

// Flush saves what Done could not.
func (l *Ledger) Flush(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.dirty {
		return nil
	}
	return l.saveLocked(ctx)
}

// saveLocked saves the snapshot held and reports the drops that waited for a save; l.mu
// is held.
func (l *Ledger) saveLocked(ctx context.Context) error {
	if err := l.store.Save(ctx, l.snap); err != nil {
		return err
	}
	l.dirty = false
	l.reportDrops(l.unsaved)
	l.unsaved = nil
	return nil
}
