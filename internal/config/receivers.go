package config

import (
	"fmt"
	"regexp"
)

// NATSReceiver is the name of the NATS sink, reserved: no other receiver may take it.
const NATSReceiver = "nats"

var receiverNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// Receiver is one configured receiver as every part of the notifier names it: the outbox,
// logs (receiver=NAME), metrics (sink="NAME") and /readyz.
type Receiver struct {
	Name string // unique across receivers of every kind
	Kind string // "nats", "slack", "slack-channel", "pagerduty", "alertmanager"
	Key  string // where it is configured, e.g. "slack.webhooks[1]"
	// The filter: events below MinSeverity, or whose task name, status or project is not
	// in a non-empty list, do not go to the receiver. NATS has none.
	MinSeverity string
	TaskNames   []string
	Statuses    []string
	Projects    []string
	MaxPending  int
	// Incidents marks an on-call receiver (PagerDuty, Alertmanager): it also gets every
	// event that may end or continue an incident it opened, whatever its filter
	// (incident.Concerns), and applies the filter itself to decide what opens one.
	Incidents bool
}

// Receivers lists every configured receiver: NATS first (when configured), then each
// Slack webhook in the order of the file, then each Slack channel (slack.channels), each
// [[pagerduty]] and each [[alertmanager]]. A new kind of receiver adds its entries here.
func (c *Config) Receivers() []Receiver {
	var out []Receiver
	if c.NATS.URL != "" {
		out = append(out, Receiver{Name: NATSReceiver, Kind: "nats", Key: "nats", MaxPending: c.NATS.MaxPending})
	}
	for i, w := range c.Slack.Webhooks {
		out = append(out, Receiver{
			Name: w.Name, Kind: "slack", Key: fmt.Sprintf("slack.webhooks[%d]", i),
			MinSeverity: w.MinSeverity, TaskNames: w.TaskNames, Statuses: w.Statuses, Projects: w.Projects,
			MaxPending: w.MaxPending,
		})
	}
	out = append(out, c.channelReceivers()...)
	return append(out, c.incidentReceivers()...)
}

// validateNames checks that every receiver has a well-formed name of its own.
func (c *Config) validateNames(p *problems) {
	seen := map[string]string{} // name -> key of the receiver that has it
	for _, r := range c.Receivers() {
		if r.Kind == "nats" {
			continue
		}
		key := r.Key + ".name"
		switch {
		case r.Name == "":
			p.add(key, "required: a unique name for this receiver, such as \"oncall\" (lower case letters, digits, - and _)")
		case r.Name == NATSReceiver:
			p.add(key, "%q is reserved for the NATS sink", r.Name)
		case !receiverNameRE.MatchString(r.Name):
			p.add(key, "%q must be 1 to 32 lower case letters, digits, - or _, starting with a letter or digit", r.Name)
		case seen[r.Name] != "":
			p.add(key, "duplicate of %s.name %q", seen[r.Name], r.Name)
		default:
			seen[r.Name] = r.Key
		}
	}
}
