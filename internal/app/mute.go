package app

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/route"
	"notifier/internal/status"
)

// muter is the routing at commit: Route gives the ledger the receivers route.Decide
// delivers an event to at that moment (filters, maintenance windows, the on-call rule);
// the ledger's OnCommit then takes the verdicts (take), once the event is saved, to count
// and log what was muted and show every receiver's lot on the status page. A save that
// fails leaves its entries behind; they are replaced when the poll is committed again,
// and cleared past maxHeld.
type muter struct {
	rules atomic.Pointer[route.Table] // swapped by a reload (setRules)
	now   func() time.Time

	mu     sync.Mutex
	held   map[string]decided   // by event id
	opened map[string]time.Time // window name -> the close of the opening already logged
}

// decided is what Route decided for an event, and when.
type decided struct {
	at       time.Time
	verdicts []route.Verdict
}

// maxHeld bounds what failed saves can leave behind.
const maxHeld = 10000

func newMuter(table *route.Table, now func() time.Time) *muter {
	m := &muter{now: now, held: map[string]decided{}, opened: map[string]time.Time{}}
	m.setRules(table)
	return m
}

// setRules makes the routing of a reloaded configuration decide the events committed
// from now on; what was decided before, and the openings already logged, stay.
func (m *muter) setRules(table *route.Table) { m.rules.Store(table) }

// Route is the ledger's routing (state.Route): the receivers Decide delivers e to now.
func (m *muter) Route(e *event.Event) []string {
	now := m.now()
	vs := m.rules.Load().Decide(e, now)
	markSilenced(e, vs)
	m.mu.Lock()
	if len(m.held) >= maxHeld {
		clear(m.held)
	}
	m.held[e.ID] = decided{at: now, verdicts: vs}
	m.mu.Unlock()
	return route.To(vs)
}

// markSilenced writes in e's data the receivers a silence keeps it from (silenced_by),
// for NATS' subscribers and for the on-call receivers (silencedFor).
func markSilenced(e *event.Event, vs []route.Verdict) {
	e.Data.SilencedBy = nil
	for _, v := range vs {
		for _, h := range v.Holds {
			if h.Cause == route.Silenced {
				if e.Data.SilencedBy == nil {
					e.Data.SilencedBy = map[string]string{}
				}
				e.Data.SilencedBy[v.Receiver] = h.Name
			}
		}
	}
}

// take returns, and forgets, what Route decided for the event with id.
func (m *muter) take(id string) (decided, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, ok := m.held[id]
	delete(m.held, id)
	return h, ok
}

// firstOf reports whether h is the first hold of its window's current opening (until), so
// that the opening is logged once at info and each event only at debug.
func (m *muter) firstOf(h route.Hold) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.opened[h.Name].Equal(h.Until) {
		return false
	}
	m.opened[h.Name] = h.Until
	return true
}

// committed hears each saved event: what the maintenance windows kept it from is
// counted (result="muted", result="silenced" for a silence) and logged at debug (a window's first muted event of each
// opening at info), and the recorder shows every receiver's lot.
func (c unitConfig) committed(mr *muter, e *event.Event, to, all []string) {
	d, ok := mr.take(e.ID)
	if !ok { // not routed (no receiver): nothing was decided
		d = decided{at: c.now()}
	}
	for _, v := range d.verdicts {
		h, held := v.Held()
		if v.Deliver || !held {
			continue
		}
		if h.Cause == route.Silenced {
			c.m.Deliveries.WithLabelValues(v.Receiver, "silenced").Inc()
			c.log.Debug().Str("receiver", v.Receiver).Str("silence", h.Name).Str("event_id", e.ID).Str("type", e.Type).
				Time("until", h.Until).Msg("event silenced")
			continue
		}
		if h.Cause != route.Muted {
			continue
		}
		c.m.Deliveries.WithLabelValues(v.Receiver, "muted").Inc()
		if mr.firstOf(h) {
			c.log.Info().Str("window", h.Name).Time("until", h.Until).
				Msg("maintenance window open: matching events are not sent to its receivers (NATS gets them); each one is logged at debug")
		}
		c.log.Debug().Str("receiver", v.Receiver).Str("window", h.Name).Str("event_id", e.ID).Str("type", e.Type).
			Time("until", h.Until).Msg("event muted by a maintenance window")
	}
	c.rec.Routed(e, deliveries(d, to, all), d.at)
}

// deliveries is what the status page shows of the verdicts at commit, for the receivers
// of all (the ledger's, in config order): pending for those the event went to (to),
// otherwise what held it. A receiver that gets the event only because it may resolve an
// incident is shown, if it sends nothing for it, as what held it.
func deliveries(d decided, to, all []string) []status.Route {
	byName := make(map[string]route.Verdict, len(d.verdicts))
	for _, v := range d.verdicts {
		byName[v.Receiver] = v
	}
	out := make([]status.Route, 0, len(all))
	for _, name := range all {
		v, decidedFor := byName[name]
		r := status.Route{Receiver: name, Queued: slices.Contains(to, name)}
		if h, held := v.Held(); held {
			r.State, r.Reason = holdState(h)
		}
		if r.Queued || (decidedFor && r.State != "") {
			out = append(out, r)
		}
	}
	return out
}

// holdState is a hold in the status page's words: filtered with the filter that refused,
// muted with the window.
func holdState(h route.Hold) (state, reason string) {
	switch h.Cause {
	case route.Filtered:
		return status.Filtered, h.Detail
	case route.Silenced:
		return status.Silenced, h.Name
	}
	return status.Muted, "maintenance window " + h.Name
}

// duringFor is what a Slack webhook asks about each event it posts: the window, if any,
// that muted it when the event's task was created (slacksink.Options.During).
func duringFor(cfg *config.Config, receiver string) func(e *event.Event) string {
	table, err := route.New(cfg)
	if err != nil || len(table.Windows()) == 0 {
		return nil // a validated config compiles; without windows there is nothing to say
	}
	return func(e *event.Event) string { return table.During(receiver, e) }
}

// incidentMuted is what an on-call receiver asks of each event it gets (mutedFor).
func incidentMuted(cfg *config.Config, receiver string) func(e *event.Event) bool {
	table, err := route.New(cfg)
	if err != nil {
		return nil // a validated config compiles
	}
	return mutedFor(table, receiver)
}

// silencedText is a silence's hold as the status page and routes say it: "ID (comment)".
func silencedText(h route.Hold) string { return h.Name + " (" + h.Detail + ")" }

// mutedFor says of an event whether it was held from the receiver by more than its
// filter: a silence, as Decide decided at commit (the event's silenced_by), or a window
// open at the event's detection time. Such an event ends or continues an incident the
// receiver opened before, and opens none.
func mutedFor(table *route.Table, receiver string) func(e *event.Event) bool {
	windows := len(table.Windows()) > 0
	return func(e *event.Event) bool {
		if _, silenced := e.Data.SilencedBy[receiver]; silenced {
			return true
		}
		if !windows {
			return false
		}
		v, _ := table.DecideFor(receiver, e, e.Time)
		_, muted := v.Muted()
		return muted
	}
}
