package route

import (
	"slices"

	"notifier/internal/config"
	"notifier/internal/event"
)

// Receiver is a configured receiver and its filter.
type Receiver struct {
	config.Receiver
	Filter Filter
}

// Table holds every configured receiver, in the order of the config.
type Table struct {
	receivers []Receiver
}

// New builds the table of the configured receivers.
func New(cfg *config.Config) (*Table, error) {
	t := &Table{}
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
		if ok, _ := r.Filter.Match(e); ok {
			out = append(out, r.Name)
		}
	}
	return out
}

// Decision is what the table decided for one receiver.
type Decision struct {
	Receiver
	Match  bool
	Reason string // why not, when Match is false
}

// Explain returns the decision of every receiver for e.
func (t *Table) Explain(e *event.Event) []Decision {
	out := make([]Decision, len(t.receivers))
	for i, r := range t.receivers {
		ok, why := r.Filter.Match(e)
		out[i] = Decision{Receiver: r, Match: ok, Reason: why}
	}
	return out
}

func sortStrings(s []string) { slices.Sort(s) }
