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
	"strings"

	"notifier/internal/confkit"
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
	EventTypes  []string `toml:"event_types"`  // empty: all; task, stuck, gap, test (see Filter)
	TaskNames   []string `toml:"task_names"`   // empty: all; names or globs
	Statuses    []string `toml:"statuses"`     // empty: all
	Projects    []string `toml:"projects"`     // empty: all; project ids (lower-cased by Defaults) or names
	Regions     []string `toml:"regions"`      // empty: all; region ids
	Instances   []string `toml:"instances"`    // empty: all; globs over instance id and name
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
// max_pending when the file does not write it, and the project ids of projects
// lower-cased (names are kept as written).
func (c *Common) defaults(minSev string, maxPendingWritten bool) {
	if c.MinSeverity == "" {
		c.MinSeverity = minSev
	}
	if !maxPendingWritten {
		c.MaxPending = DefaultMaxPending
	}
	for i, v := range c.Projects {
		if IsProjectID(v) {
			c.Projects[i] = strings.ToLower(v)
		}
	}
}

// validate checks the filter and the backlog bound of the receiver at key; known is
// what its projects and regions may name (nil: anything). The name is checked by config,
// across receivers.
func (c *Common) validate(p *confkit.Problems, key string, known *Known) {
	if c.MinSeverity != "" { // "" only in a Config built without Load: info
		p.OneOf(key+".min_severity", c.MinSeverity, "info", "warning", "critical")
	}
	p.MaxPending(key+".max_pending", c.MaxPending)
	c.validateFilter(p, key, known)
}
