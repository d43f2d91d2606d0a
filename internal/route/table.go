package route

import (
	"slices"

	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/silence"
)

// Receiver is a configured receiver and its filter.
type Receiver struct {
	config.Receiver
	Filter Filter
}

// Table is the routing of one configuration: every configured receiver with its filter,
// in the order of the config, and the maintenance windows. A reload builds a new one.
type Table struct {
	receivers []Receiver
	windows   []*Window
	statuses  event.Statuses // poll.terminal_statuses: what can end an incident
	// silences, when set, gives the silences as they are now (they change while a
	// configuration runs; see WithSilences).
	silences func() *silence.Set
}

// WithSilences returns a copy of the table whose Decide also weighs the silences that
// src gives at each decision (the running notifier's, shared by every replica); a table
// without is decided on its configuration alone.
func (t *Table) WithSilences(src func() *silence.Set) *Table {
	c := *t
	c.silences = src
	return &c
}

// New builds the table of a validated configuration. Its errors name the key.
func New(cfg *config.Config) (*Table, error) {
	t := &Table{statuses: event.NewStatuses(cfg.Poll.TerminalStatuses)}
	for _, r := range cfg.Receivers() {
		f, err := NewFilter(r)
		if err != nil {
			return nil, err
		}
		t.receivers = append(t.receivers, Receiver{Receiver: r, Filter: f})
	}
	var err error
	if t.windows, err = compileWindows(cfg); err != nil {
		return nil, err
	}
	return t, nil
}

// Receivers returns the receivers, in the order of the config.
func (t *Table) Receivers() []Receiver { return slices.Clone(t.receivers) }

// Windows returns the maintenance windows, in the order of the config.
func (t *Table) Windows() []*Window { return slices.Clone(t.windows) }
