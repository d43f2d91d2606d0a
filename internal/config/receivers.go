package config

import (
	"regexp"
	"slices"
	"strings"

	"notifier/internal/confkit"
	"notifier/internal/receiver"
	"notifier/internal/sinks/natssink"
)

// NATSReceiver is the name of the NATS receiver, reserved: no other receiver may take it.
const NATSReceiver = natssink.Name

var receiverNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// Receiver is one configured receiver as every part of the notifier names it: the outbox,
// logs (receiver=NAME), metrics (receiver="NAME") and /readyz.
type Receiver struct {
	// Name (unique across receivers of every kind), the filter and MaxPending: an event
	// goes to the receiver when every filter passes it (see receiver.Filter). NATS has no
	// filter.
	receiver.Common
	Kind receiver.Kind // "nats", "slack", "slack-channel", "pagerduty", "alertmanager"
	Key  string        // where it is configured, e.g. "slack.webhooks[1]"
	// Incidents marks an on-call receiver (PagerDuty, Alertmanager): it also gets every
	// event that may end or continue an incident it opened, whatever its filter
	// (incident.Concerns), and applies the filter itself to decide what opens one.
	Incidents bool
}

// Receivers lists every configured receiver, kind by kind in the order of kinds (NATS
// first when configured, then each Slack webhook, each Slack channel, each [[pagerduty]]
// and each [[alertmanager]]), each kind's in the order of the file.
func (c *Config) Receivers() []Receiver {
	var out []Receiver
	for _, e := range c.Entries() {
		out = append(out, Receiver{Common: *e.Common(), Kind: e.Info().Kind, Key: e.Key(), Incidents: e.Info().Incidents})
	}
	return out
}

// Entries returns the entry of every configured receiver, in the order of Receivers: how
// to open and render it.
func (c *Config) Entries() []receiver.Entry {
	var out []receiver.Entry
	for _, e := range c.entries() {
		if e.Common() != nil {
			out = append(out, e)
		}
	}
	return out
}

// Entry returns the entry of the receiver called name, or nil.
func (c *Config) Entry(name string) receiver.Entry {
	for _, e := range c.Entries() {
		if e.Common().Name == name {
			return e
		}
	}
	return nil
}

// entries returns every entry of every kind, those that configure no receiver too.
func (c *Config) entries() []receiver.Entry {
	var out []receiver.Entry
	for _, k := range c.kinds() {
		out = append(out, k.Entries()...)
	}
	return out
}

// Kinds describes every kind of receiver, in the order of Receivers.
func Kinds() []receiver.Info {
	var c Config
	var out []receiver.Info
	for _, k := range c.kinds() {
		out = append(out, *k.Info())
	}
	return out
}

// NoReceivers says what a configuration without any receiver lacks: "nats.url is empty
// and there are no slack.webhooks, slack.channels, [[pagerduty]] or [[alertmanager]]".
func NoReceivers() string {
	var off, lists []string
	for _, k := range Kinds() {
		switch {
		case k.Name != "":
			off = append(off, k.Key+"."+k.Switch+" is empty")
		case strings.Contains(k.Key, "."):
			lists = append(lists, k.Key)
		default:
			lists = append(lists, "[["+k.Key+"]]")
		}
	}
	if n := len(lists); n > 1 {
		lists = append(lists[:n-2], lists[n-2]+" or "+lists[n-1])
	}
	return strings.Join(append(off, "there are no "+strings.Join(lists, ", ")), " and ")
}

// ReceiverEnv lists the environment variables the receivers' entries name, one line
// each, for notifier help.
func ReceiverEnv() []string {
	var out []string
	for _, k := range Kinds() {
		out = append(out, k.Env...)
	}
	return out
}

// normalizeReceivers applies every receiver's defaults; written tells the keys the file
// sets.
func (c *Config) normalizeReceivers(written map[string]bool) {
	for _, e := range c.entries() {
		e.Defaults(func(key string) bool { return written[key] })
	}
}

// validateReceivers checks every receiver's entry, then that each has a name of its own.
func (c *Config) validateReceivers(p *problems) {
	known := c.knownToFilters()
	for _, e := range c.entries() {
		e.Validate((*confkit.Problems)(p), known)
	}
	c.validateNames(p)
}

// knownToFilters is what a receiver's filter may name: the projects of dcs.projects by id
// and name, any other when projects are discovered, and their regions.
func (c *Config) knownToFilters() *receiver.Known {
	k := &receiver.Known{Discover: len(c.DCS.Discover) > 0}
	for _, pr := range c.DCS.Projects {
		k.ProjectIDs = append(k.ProjectIDs, strings.ToLower(pr.ProjectID))
		if pr.Name != "" {
			k.ProjectNames = append(k.ProjectNames, pr.Name)
		}
		if !slices.Contains(k.Regions, pr.Region) {
			k.Regions = append(k.Regions, pr.Region)
		}
	}
	return k
}

// validateNames checks that every receiver has a well-formed name of its own.
func (c *Config) validateNames(p *problems) {
	seen := map[string]string{} // name -> key of the receiver that has it
	for _, e := range c.Entries() {
		if e.Info().Name != "" {
			continue // a kind of one table: its name is its own
		}
		name, key := e.Common().Name, e.Key()+".name"
		switch {
		case name == "":
			p.add(key, "required: a unique name for this receiver, such as \"oncall\" (lower case letters, digits, - and _)")
		case name == NATSReceiver:
			p.add(key, "%q is reserved for the NATS sink", name)
		case !receiverNameRE.MatchString(name):
			p.add(key, "%q must be 1 to 32 lower case letters, digits, - or _, starting with a letter or digit", name)
		case seen[name] != "":
			p.add(key, "duplicate of %s.name %q", seen[name], name)
		default:
			seen[name] = e.Key()
		}
	}
}

// checkReceivers reads what every receiver's entry names outside the file, as run would.
func (c *Config) checkReceivers(getenv func(string) string) []error {
	var errs []error
	for _, e := range c.entries() {
		errs = append(errs, e.Check(getenv)...)
	}
	return errs
}
