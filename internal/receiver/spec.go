package receiver

import (
	"context"
	"fmt"

	"notifier/internal/confkit"
	"notifier/internal/event"
	"notifier/internal/msgtmpl"
)

// Info is what describes a kind, whatever its configuration type.
type Info struct {
	Kind Kind
	// Key is where the kind's entries are in the file: an array of tables such as
	// "slack.webhooks" or "pagerduty", whose entries are Key[i], or for a kind of one
	// table ([nats]) that table.
	Key string
	// Name is, for a kind of one table, the receiver's own name, reserved ("nats"); its
	// table has no name key and no filter. "" for an array of tables.
	Name string
	// Switch is, for a kind of one table, the key of it whose "" turns the receiver off
	// ("url").
	Switch string
	// Help says in one line what the kind is and does, for notifier help.
	Help string
	// Env lists the environment variables its entries name, one line each, as the
	// environment section of notifier help shows them.
	Env []string
	// Incidents marks an on-call kind: it also gets every event that may end or continue
	// an incident it opened, whatever its filter, and applies the filter itself to decide
	// what opens one.
	Incidents bool
	// MinSeverity is min_severity's default.
	MinSeverity string
	// Template is what the kind makes of a template (template, template_file): the parts
	// it reads, how it escapes and mentions. nil: the kind takes none, and setting one is a
	// config error.
	Template *msgtmpl.Style
	// Example is a minimal entry that loads, the lines inside its table ("name = ...\n"),
	// for the docs and for the tests that go through every kind.
	Example string
}

// Spec is a kind's one registry entry: its Info and what the notifier does with an entry
// of its configuration type C. Each function gets the entry and its key (pagerduty[1]),
// which every error it returns starts with.
type Spec[C any] struct {
	Info
	// Common returns the entry's name, filter and backlog bound (the Common it embeds), or
	// nil when the entry configures no receiver (nats.url = ""). A kind of one table
	// returns its own: Info.Name and its max_pending.
	Common func(c *C) *Common
	// Defaults fills what the file leaves empty in the entry, beyond Common (done for
	// every kind); written reports whether the file writes one of its keys ("failed_ttl"),
	// for a number whose 0 must be refused, not replaced. nil: none.
	Defaults func(c *C, written func(key string) bool)
	// Validate checks the entry, beyond Common (checked for every kind). It reads nothing
	// outside the file.
	Validate func(c *C, key string, p *confkit.Problems)
	// Check reads what the entry names outside the file (secrets, files) as Open would,
	// and returns every problem, each naming the key and never a secret. nil: nothing.
	Check func(c *C, key string, getenv func(string) string) []error
	// Open builds the receiver. Its errors name the key and never a secret.
	Open func(c *C, key string, d Deps) (Opened, error)
	// Render is what the receiver would be sent for evs, for once --render: no secret is
	// read or shown, and nothing is sent or remembered.
	Render func(ctx context.Context, c *C, key string, d Deps, evs []event.Event) (Rendering, error)
	// Probe checks, for notifier probe, that the receiver's destination exists and takes
	// what it would be sent, with read calls only: nothing is delivered. Its error names
	// the key and what is wrong, never a secret. nil: the kind has nothing to check.
	Probe func(ctx context.Context, c *C, key string, d Deps) error
}

// missing lists what s lacks to be a complete entry.
func (s *Spec[C]) missing() []string {
	var out []string
	for _, f := range []struct {
		name string
		ok   bool
	}{
		{"Kind", s.Kind != ""}, {"Key", s.Key != ""}, {"Help", s.Help != ""}, {"Example", s.Example != ""},
		{"MinSeverity", s.MinSeverity != "" || s.Name != ""}, {"Switch", s.Name == "" || s.Switch != ""},
		{"Common", s.Common != nil}, {"Validate", s.Validate != nil},
		{"Open", s.Open != nil}, {"Render", s.Render != nil},
	} {
		if !f.ok {
			out = append(out, f.name)
		}
	}
	return out
}

// Entry is one entry of a kind's configuration, bound to its Spec: what config and app
// do with a receiver without knowing its kind.
type Entry interface {
	Info() *Info
	Key() string     // pagerduty[1], nats
	Common() *Common // nil: the entry configures no receiver
	Config() any     // a pointer to the entry, for a fingerprint: it holds no secret
	// Defaults fills what the file leaves empty; written reports whether the file writes
	// a key, with its full path (pagerduty[1].max_pending).
	Defaults(written func(key string) bool)
	// Validate checks the entry and its Common; known is what its filter's projects and
	// regions may name (nil: anything).
	Validate(p *confkit.Problems, known *Known)
	Check(getenv func(string) string) []error
	Open(d Deps) (Opened, error)
	Render(ctx context.Context, d Deps, evs []event.Event) (Rendering, error)
	// Probe is the kind's Probe; checked is false when the kind has none.
	Probe(ctx context.Context, d Deps) (checked bool, err error)
}

type entry[C any] struct {
	s   *Spec[C]
	c   *C
	key string
}

func (e entry[C]) Info() *Info         { return &e.s.Info }
func (e entry[C]) Key() string         { return e.key }
func (e entry[C]) Common() *Common     { return e.s.Common(e.c) }
func (e entry[C]) Config() any         { return e.c }
func (e entry[C]) fixed() bool         { return e.s.Name != "" }
func (e entry[C]) sub(k string) string { return e.key + "." + k }

func (e entry[C]) Defaults(written func(string) bool) {
	if c := e.Common(); c != nil && !e.fixed() {
		c.defaults(e.s.MinSeverity, written(e.sub("max_pending")))
	}
	if e.s.Defaults != nil {
		e.s.Defaults(e.c, func(k string) bool { return written(e.sub(k)) })
	}
}

func (e entry[C]) Validate(p *confkit.Problems, known *Known) {
	e.s.Validate(e.c, e.key, p)
	if c := e.Common(); c != nil && !e.fixed() {
		c.validate(p, e.key, known)
		c.validateTemplate(p, e.key, e.s.Template)
	}
}

func (e entry[C]) Check(getenv func(string) string) []error {
	var errs []error
	if e.s.Check != nil {
		errs = e.s.Check(e.c, e.key, getenv)
	}
	if c := e.Common(); c != nil && !e.fixed() && c.TemplateFile != "" {
		if _, _, err := msgtmpl.Load(e.key, c.Template, c.TemplateFile, e.s.Template); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func (e entry[C]) Open(d Deps) (Opened, error) { return e.s.Open(e.c, e.key, d) }

func (e entry[C]) Render(ctx context.Context, d Deps, evs []event.Event) (Rendering, error) {
	return e.s.Render(ctx, e.c, e.key, d, evs)
}

func (e entry[C]) Probe(ctx context.Context, d Deps) (bool, error) {
	if e.s.Probe == nil || e.Common() == nil {
		return false, nil
	}
	return true, e.s.Probe(ctx, e.c, e.key, d)
}

// Binding is a kind bound to where a configuration holds its entries.
type Binding interface {
	Info() *Info
	// Entries are the kind's entries, in the order of the file; a kind of one table has
	// one, whether or not it configures a receiver.
	Entries() []Entry
	// Missing lists what the kind's Spec lacks; a test keeps it empty.
	Missing() []string
}

// List binds a kind configured as an array of tables ([[pagerduty]], [[slack.webhooks]])
// to the slice holding its entries.
func List[C any](s *Spec[C], entries *[]C) Binding { return list[C]{s, entries} }

type list[C any] struct {
	s       *Spec[C]
	entries *[]C
}

func (l list[C]) Info() *Info { return &l.s.Info }

func (l list[C]) Missing() []string {
	m := l.s.missing()
	if l.s.Name != "" {
		m = append(m, "Name is for a kind of one table, not an array (List)")
	}
	return m
}

func (l list[C]) Entries() []Entry {
	out := make([]Entry, len(*l.entries))
	for i := range *l.entries {
		out[i] = entry[C]{l.s, &(*l.entries)[i], fmt.Sprintf("%s[%d]", l.s.Key, i)}
	}
	return out
}

// Table binds a kind configured as one table ([nats]) to it.
func Table[C any](s *Spec[C], c *C) Binding { return table[C]{s, c} }

type table[C any] struct {
	s *Spec[C]
	c *C
}

func (t table[C]) Info() *Info      { return &t.s.Info }
func (t table[C]) Entries() []Entry { return []Entry{entry[C]{t.s, t.c, t.s.Key}} }

func (t table[C]) Missing() []string {
	m := t.s.missing()
	if t.s.Name == "" {
		m = append(m, "Name (a kind of one table has a reserved name)")
	}
	return m
}
