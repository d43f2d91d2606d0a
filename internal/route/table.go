package route

import (
	"slices"

	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/incident"
)

// Receiver is a configured receiver and its filter.
type Receiver struct {
	config.Receiver
	Filter Filter
}

// Table holds every configured receiver, in the order of the config.
type Table struct {
	receivers []Receiver
	statuses  event.Statuses // poll.terminal_statuses: what can end an incident
}

// New builds the table of the configured receivers.
func New(cfg *config.Config) (*Table, error) {
	t := &Table{statuses: event.NewStatuses(cfg.Poll.TerminalStatuses)}
	for _, r := range cfg.Receivers() {
		f, err := NewFilter(r)
		if err != nil {
			return nil, err
		}
		t.receivers = append(t.receivers, Receiver{Receiver: r, Filter: f})
	}
	return t, nil
}

// Receivers returns the receivers, in the order of the config.
func (t *Table) Receivers() []Receiver { return slices.Clone(t.receivers) }

// Route returns the names of the receivers e goes to, in the order of the config.
func (t *Table) Route(e *event.Event) []string {
	var out []string
	for _, r := range t.receivers {
		if ok, _ := t.match(r, e); ok {
			out = append(out, r.Name)
		}
	}
	return out
}

// ResolveNote is the note of a receiver that gets an event only because it may end an
// incident the receiver opened.
const ResolveNote = "may resolve an incident it opened"

// match is the filter of r, and for an on-call receiver also every event that may end or
// continue an incident it opened (incident.Concerns): its filter says what opens one, but
// a resolving event, a SUCCESS rated info, is often below it. The receiver decides, from
// what it remembers, whether the event ends anything; note then says so.
func (t *Table) match(r Receiver, e *event.Event) (ok bool, why string) {
	ok, why = r.Filter.Match(e)
	if !ok && r.Incidents && incident.Concerns(e, t.statuses) {
		return true, ResolveNote
	}
	return ok, why
}

// MayResolve reports whether e goes to the receiver named only because it may end an
// incident the receiver opened, or would do so were its filter refusing it: an on-call
// receiver and an event that may end an incident.
func (t *Table) MayResolve(name string, e *event.Event) bool {
	for _, r := range t.receivers {
		if r.Name == name {
			return r.Incidents && incident.Concerns(e, t.statuses)
		}
	}
	return false
}

// Order returns names in the order of the config.
func (t *Table) Order(names []string) []string {
	out := make([]string, 0, len(names))
	for _, r := range t.receivers {
		if slices.Contains(names, r.Name) {
			out = append(out, r.Name)
		}
	}
	return out
}

// Decision is what the table decided for one receiver.
type Decision struct {
	Receiver
	Match  bool
	Reason string // why not, when Match is false; ResolveNote when only an incident let it through
}

// Explain returns the decision of every receiver for e.
func (t *Table) Explain(e *event.Event) []Decision {
	out := make([]Decision, len(t.receivers))
	for i, r := range t.receivers {
		ok, why := t.match(r, e)
		out[i] = Decision{Receiver: r, Match: ok, Reason: why}
	}
	return out
}

func sortStrings(s []string) { slices.Sort(s) }
