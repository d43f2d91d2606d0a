// Package receiver is what every kind of receiver shares and the one shape of a kind.
//
// A kind (NATS, a Slack webhook, PagerDuty...) lives in its own package under
// internal/sinks, with its configuration type, which embeds Common (the receiver's name,
// its filter and the bound on its backlog), and its Spec: the one registry entry that says
// how its entries are defaulted, validated, checked against the environment, opened,
// rendered for once --render and described in notifier help. Package config lists the
// kinds once, each bound to where its Config holds the entries (List, Table); everything
// that handles receivers iterates that list instead of naming kinds.
//
// This package sits below the kinds and config: it imports neither.
package receiver

import (
	"fmt"
	"slices"
	"strings"

	"notifier/internal/confkit"
	"notifier/internal/event"
)

// Kind names a kind of receiver, as the status page shows it: "nats", "slack",
// "slack-channel", "pagerduty", "alertmanager".
type Kind string

// DefaultMaxPending is the default of every receiver's max_pending: how many undelivered
// events one receiver may hold.
const DefaultMaxPending = 10000

// Common is what every kind of receiver has, embedded in its configuration (go-toml, as
// encoding/json, reads and writes the fields of an embedded struct as the entry's own
// keys): its name, the filter of what it is sent, and the bound on its backlog. A filter
// field added here is one for every kind.
type Common struct {
	Name        string   `toml:"name"`         // the receiver's identity: unique, ^[a-z0-9][a-z0-9_-]{0,31}$
	MinSeverity string   `toml:"min_severity"` // info, warning or critical; "": the kind's default
	TaskNames   []string `toml:"task_names"`   // empty: all
	Statuses    []string `toml:"statuses"`     // empty: all
	Projects    []string `toml:"projects"`     // empty: all; project ids, lower-cased by Defaults
	// Template (inline) or TemplateFile (a path) shapes the receiver's messages
	// (package msgtmpl; docs/templates.md); "": the built-in text.
	Template     string `toml:"template"`
	TemplateFile string `toml:"template_file"`
	// MaxPending bounds the receiver's backlog of undelivered events; past it the oldest
	// are dropped for this receiver only. Defaults sets DefaultMaxPending when the key is
	// absent from the file.
	MaxPending int `toml:"max_pending"`
}

// defaults fills what the file leaves empty: min_severity (the kind's default, minSev),
// max_pending when the file does not write it, and projects lower-cased.
func (c *Common) defaults(minSev string, maxPendingWritten bool) {
	if c.MinSeverity == "" {
		c.MinSeverity = minSev
	}
	if !maxPendingWritten {
		c.MaxPending = DefaultMaxPending
	}
	for i := range c.Projects {
		c.Projects[i] = strings.ToLower(c.Projects[i])
	}
}

// validate checks the filter and the backlog bound of the receiver at key; known says
// whether a project id may be watched. The name is checked by config, across receivers.
func (c *Common) validate(p *confkit.Problems, key string, known func(id string) bool) {
	if c.MinSeverity != "" { // "" only in a Config built without Load: info
		p.OneOf(key+".min_severity", c.MinSeverity, "info", "warning", "critical")
	}
	p.MaxPending(key+".max_pending", c.MaxPending)
	p.NonEmpty(key+".task_names", c.TaskNames)
	p.NonEmpty(key+".statuses", c.Statuses)
	for j, id := range c.Projects {
		if known != nil && !known(id) {
			p.Add(fmt.Sprintf("%s.projects[%d]", key, j), "unknown project %q (not in dcs.projects)", id)
		}
	}
}

// Filter is what one receiver asks for. An empty list lets every value through.
type Filter struct {
	minSeverity event.Severity
	names       set
	statuses    set
	projects    set
}

type set map[string]struct{}

func newSet(vals []string, fold bool) set {
	if len(vals) == 0 {
		return nil
	}
	s := make(set, len(vals))
	for _, v := range vals {
		v = strings.TrimSpace(v)
		if fold {
			v = strings.ToLower(v)
		}
		s[v] = struct{}{}
	}
	return s
}

func (s set) allows(v string) bool {
	if s == nil {
		return true
	}
	_, ok := s[v]
	return ok
}

// NewFilter builds the filter of the receiver configured at key. An empty min_severity is
// info.
func NewFilter(key string, c Common) (Filter, error) {
	sev := event.Info
	if c.MinSeverity != "" {
		var err error
		if sev, err = event.ParseSeverity(c.MinSeverity); err != nil {
			return Filter{}, fmt.Errorf("%s.min_severity: %w", key, err)
		}
	}
	return Filter{
		minSeverity: sev,
		names:       newSet(c.TaskNames, false),
		statuses:    newSet(c.Statuses, false),
		projects:    newSet(c.Projects, true),
	}, nil
}

// Match reports whether e goes to the receiver: severity at least the minimum, and task
// name, status and project each in their list (exact; project ids without case). When it
// does not, the reason says which filter refused it, e.g. "min_severity warning > info".
func (f Filter) Match(e *event.Event) (bool, string) {
	switch {
	case e.Data.Severity.Rank() < f.minSeverity.Rank():
		return false, fmt.Sprintf("min_severity %s > %s", f.minSeverity, e.Data.Severity)
	case !f.names.allows(e.Data.TaskName):
		return false, fmt.Sprintf("task_names %s do not include %q", f.names, e.Data.TaskName)
	case !f.statuses.allows(e.Data.Status):
		return false, fmt.Sprintf("statuses %s do not include %q", f.statuses, e.Data.Status)
	case !f.projects.allows(strings.ToLower(e.Data.ProjectID)):
		return false, fmt.Sprintf("projects %s do not include %s", f.projects, e.Data.ProjectID)
	}
	return true, ""
}

// String lists the set's values, sorted, for an explanation.
func (s set) String() string {
	vals := make([]string, 0, len(s))
	for v := range s {
		vals = append(vals, v)
	}
	slices.Sort(vals)
	return "[" + strings.Join(vals, " ") + "]"
}
