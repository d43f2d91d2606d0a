package app

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/mute"
	"notifier/internal/route"
)

// muter applies the maintenance windows at commit, with the routing: Route gives the
// ledger the receivers an event goes to, less those a window keeps it from at that
// moment; the ledger's OnCommit then takes what was muted (take), once the event is
// saved, to count and show it. A save that fails leaves its entries behind; they are
// replaced when the poll is committed again, and cleared past maxHeld.
type muter struct {
	rules atomic.Pointer[rules] // swapped by a reload (setRules)
	now   func() time.Time

	mu     sync.Mutex
	held   map[string]mutedAt   // by event id
	opened map[string]time.Time // window name -> the close of the opening already logged
}

type mutedAt struct {
	at    time.Time
	muted []mute.Muted
}

// maxHeld bounds what failed saves can leave behind.
const maxHeld = 10000

// rules are the routes and the maintenance windows of one configuration.
type rules struct {
	table *route.Table
	set   *mute.Set
}

func newMuter(table *route.Table, set *mute.Set, now func() time.Time) *muter {
	m := &muter{now: now, held: map[string]mutedAt{}, opened: map[string]time.Time{}}
	m.setRules(table, set)
	return m
}

// setRules makes the routes and windows of a reloaded configuration decide the events
// committed from now on; what was muted before, and the openings already logged, stay.
func (m *muter) setRules(table *route.Table, set *mute.Set) {
	m.rules.Store(&rules{table: table, set: set})
}

// Route is the ledger's routing (state.Route): the table's receivers for e, less the
// muted ones.
func (m *muter) Route(e *event.Event) []string {
	r := m.rules.Load()
	to := r.table.Route(e)
	now := m.now()
	keep, muted := r.set.Apply(to, e, now)
	// An on-call receiver still gets, inside a window, what may end an incident it opened
	// before (a page must resolve); it opens nothing muted (incidentMuted).
	muted = slices.DeleteFunc(muted, func(mu mute.Muted) bool {
		if r.table.MayResolve(mu.Receiver, e) {
			keep = append(keep, mu.Receiver)
			return true
		}
		return false
	})
	if len(keep) > 1 {
		keep = r.table.Order(keep)
	}
	if len(muted) > 0 {
		m.mu.Lock()
		if len(m.held) >= maxHeld {
			clear(m.held)
		}
		m.held[e.ID] = mutedAt{at: now, muted: muted}
		m.mu.Unlock()
	}
	return keep
}

// take returns, and forgets, what Route muted of the event with id.
func (m *muter) take(id string) (mutedAt, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, ok := m.held[id]
	delete(m.held, id)
	return h, ok
}

// firstOf reports whether m is the first event muted by its window's current opening
// (until), so that the opening is logged once at info and each event only at debug.
func (m *muter) firstOf(mu mute.Muted) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.opened[mu.Window].Equal(mu.Until) {
		return false
	}
	m.opened[mu.Window] = mu.Until
	return true
}

// duringFor is what a Slack webhook asks about each event it posts: the window, if any,
// that muted it when the event's task was created (slacksink.Options.During).
func duringFor(cfg *config.Config, receiver string) func(e *event.Event) string {
	set, err := mute.New(cfg)
	if err != nil || len(set.Windows()) == 0 {
		return nil // a validated config compiles; without windows there is nothing to say
	}
	return func(e *event.Event) string { return set.During(receiver, e) }
}

// incidentMuted is what an on-call receiver asks of each event it gets: whether a window
// muted it for the receiver, judged at the event's detection time. Such an event ends or
// continues an incident the receiver opened before the window, and opens none.
func incidentMuted(cfg *config.Config, receiver string) func(e *event.Event) bool {
	set, err := mute.New(cfg)
	if err != nil || len(set.Windows()) == 0 {
		return nil
	}
	return func(e *event.Event) bool {
		w, _ := set.Mutes(receiver, e, e.Time)
		return w != nil
	}
}
