package route

import (
	"encoding/json"
	"strings"
	"time"

	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/incident"
)

// Cause is what keeps an event from a receiver. A new way of keeping events from
// receivers (a silence) is one more Cause, decided in Decide with the others.
type Cause string

// The causes, in the order Decide weighs them.
const (
	Filtered Cause = "filtered" // the receiver's filter refuses the event
	Muted    Cause = "muted"    // a maintenance window ([[mute]]) keeps it from the receiver
	Silenced Cause = "silenced" // a silence (notifier silence add) keeps it from the receiver
)

// Hold is one thing that keeps an event from a receiver.
type Hold struct {
	Cause  Cause
	Name   string    // Muted: the window's name; Silenced: the silence's id
	Detail string    // Filtered: which filter refused, "min_severity warning > info"; Silenced: its comment
	Until  time.Time // Muted: when the window closes; Silenced: its ends_at
	window *Window   // Muted: to say Until in the window's own location
}

// String says the hold as the status page does: "filtered (min_severity warning > info)",
// "muted (window weekly-maintenance)", "silenced (ID)".
func (h Hold) String() string {
	switch h.Cause {
	case Filtered:
		return "filtered (" + h.Detail + ")"
	case Muted:
		return "muted (window " + h.Name + ")"
	case Silenced:
		return "silenced (" + h.Name + ")"
	}
	return string(h.Cause) + " (" + h.Name + ")"
}

// UntilText says when the hold ends, as seen at now: for a weekly window in its own
// location ("03:00 Asia/Shanghai"), otherwise RFC 3339; "" for a filter.
func (h Hold) UntilText(now time.Time) string {
	switch {
	case h.window != nil:
		return h.window.Until(h.Until, now)
	case h.Until.IsZero():
		return ""
	}
	return h.Until.UTC().Format(time.RFC3339)
}

// Verdict is what Decide decided for one receiver.
type Verdict struct {
	Receiver string // its name
	// Deliver: the event goes to the receiver's queue.
	Deliver bool
	// Holds is everything that keeps the event from the receiver, in the order of the
	// causes (its filter first); empty when nothing does.
	Holds []Hold
	// MayResolve: Deliver despite Holds, because the receiver is an on-call one and the
	// event may end or continue an incident it opened (incident.Concerns). It opens
	// none: when it ends nothing, the receiver sends nothing, and Holds[0] says why.
	MayResolve bool
}

// Held returns the first hold, the one that says why the receiver does not get the
// event (or gets it only because it may resolve): false when nothing holds it.
func (v Verdict) Held() (Hold, bool) {
	if len(v.Holds) == 0 {
		return Hold{}, false
	}
	return v.Holds[0], true
}

// Muted returns the first hold that is not the receiver's own filter: a window or a
// silence that keeps an event the filter passes (or would keep one it refuses); false
// when none does.
func (v Verdict) Muted() (Hold, bool) {
	for _, h := range v.Holds {
		if h.Cause != Filtered {
			return h, true
		}
	}
	return Hold{}, false
}

// ResolveNote is the note of a receiver that gets an event only because it may end an
// incident the receiver opened.
const ResolveNote = "may resolve an incident it opened"

// Decide decides who gets e at the moment at, for every receiver in the order of the
// config: its filter, then the windows open at at, then the silences active at at. An on-call receiver (Incidents) still
// gets what may end or continue an incident it opened (incident.Concerns) whatever holds
// it: its filter says what opens one, but a resolving event, a SUCCESS rated info, is
// often below it, and a page opened before a window must resolve inside it. A test event
// goes to every receiver whose event_types (when set) list test, whatever its other
// filters, the windows and the silences: it checks the way to each, not the routing.
// NATS is never muted nor silenced.
func (t *Table) Decide(e *event.Event, at time.Time) []Verdict {
	out := make([]Verdict, len(t.receivers))
	for i, r := range t.receivers {
		v := Verdict{Receiver: r.Name}
		if !e.IsTest() {
			v.Holds = t.holds(r, e, at)
		} else if ok, why := r.Filter.Match(e); !ok {
			v.Holds = []Hold{{Cause: Filtered, Detail: why}} // event_types without test
		}
		switch {
		case len(v.Holds) == 0:
			v.Deliver = true
		case r.Incidents && incident.Concerns(e, t.statuses):
			v.Deliver, v.MayResolve = true, true
		}
		out[i] = v
	}
	return out
}

// holds lists what keeps e from r at at, in the order of the causes.
func (t *Table) holds(r Receiver, e *event.Event, at time.Time) []Hold {
	var hs []Hold
	if ok, why := r.Filter.Match(e); !ok {
		hs = append(hs, Hold{Cause: Filtered, Detail: why})
	}
	if w, until := mutedBy(t.windows, r.Name, e, at); w != nil {
		hs = append(hs, Hold{Cause: Muted, Name: w.Name, Until: until, window: w})
	}
	if t.silences != nil && r.Name != config.NATSReceiver {
		if s, ok := t.silences().Match(r.Name, e, at); ok {
			hs = append(hs, Hold{Cause: Silenced, Name: s.ID, Detail: s.Comment, Until: s.EndsAt})
		}
	}
	return hs
}

// DecideFor is Decide for the receiver named alone; false when there is none.
func (t *Table) DecideFor(receiver string, e *event.Event, at time.Time) (Verdict, bool) {
	for _, v := range t.Decide(e, at) {
		if v.Receiver == receiver {
			return v, true
		}
	}
	return Verdict{}, false
}

// To returns the names of the receivers the verdicts deliver to, in their order.
func To(vs []Verdict) []string {
	var out []string
	for _, v := range vs {
		if v.Deliver {
			out = append(out, v.Receiver)
		}
	}
	return out
}

// During returns the name of the window that, when e's task was created, was open and
// would have kept e from receiver; "" when none was, or the task's creation time is
// unknown. Slack says so on the task's later events ("during maintenance window ...").
func (t *Table) During(receiver string, e *event.Event) string {
	created, ok := TaskCreated(e)
	if !ok {
		return ""
	}
	if w, _ := mutedBy(t.windows, receiver, e, created); w != nil {
		return w.Name
	}
	return ""
}

// TaskCreated reads the created_at of e's task (RFC 3339, as the task center writes it).
func TaskCreated(e *event.Event) (time.Time, bool) {
	if len(e.Data.Task) == 0 {
		return time.Time{}, false
	}
	var t struct {
		CreatedAt any `json:"created_at"`
	}
	if json.Unmarshal(e.Data.Task, &t) != nil {
		return time.Time{}, false
	}
	str, _ := t.CreatedAt.(string)
	ts, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(str))
	if err != nil {
		return time.Time{}, false
	}
	return ts, true
}
