package pagerduty

import (
	"context"
	"fmt"

	"notifier/internal/confkit"
	"notifier/internal/event"
	"notifier/internal/receiver"
	"notifier/internal/secret"
)

// Config is one PagerDuty Events API v2 integration ([[pagerduty]]): a matching event
// opens or updates an incident, and the end of the task resolves it. Its routing key is a
// secret, so the file only names where to read it.
type Config struct {
	receiver.Common
	RoutingKeyEnv  string `toml:"routing_key_env"`
	RoutingKeyFile string `toml:"routing_key_file"`
	URL            string `toml:"url" redact:"url"` // Defaults: DefaultURL
}

// DefaultURL is the Events API v2 endpoint pagerduty.url defaults to.
const DefaultURL = "https://events.pagerduty.com/v2/enqueue"

// Spec is the registry entry of PagerDuty ([[pagerduty]]).
var Spec = &receiver.Spec[Config]{
	Info: receiver.Info{
		Kind: "pagerduty", Key: "pagerduty", MinSeverity: "critical", Incidents: true,
		Example:  "name = \"oncall\"\nrouting_key_env = \"PAGERDUTY_ROUTING_KEY\"\n",
		Help:     "PagerDuty Events API v2: an incident per alert, resolved when it ends",
		Env:      []string{"pagerduty[].routing_key_env  each PagerDuty integration's routing key"},
		Template: Style,
	},
	Common:   func(c *Config) *receiver.Common { return &c.Common },
	Defaults: defaults,
	Validate: validate,
	Check:    check,
	Open:     open,
	Render:   render,
}

func defaults(c *Config, _ func(string) bool) {
	if c.URL == "" {
		c.URL = DefaultURL
	}
}

func validate(c *Config, key string, p *confkit.Problems) {
	p.SecretSource(key+".routing_key", c.RoutingKeyEnv, c.RoutingKeyFile, true)
	p.Endpoint(key+".url", c.URL)
}

// check reads the routing key as Open will.
func check(c *Config, key string, getenv func(string) string) []error {
	if _, err := secret.Read(c.RoutingKeyEnv, c.RoutingKeyFile, getenv); err != nil {
		k := key + ".routing_key_env"
		if c.RoutingKeyFile != "" {
			k = key + ".routing_key_file"
		}
		return []error{fmt.Errorf("%s: %w (receiver %q)", k, err, c.Name)}
	}
	return nil
}

func open(c *Config, key string, d receiver.Deps) (receiver.Opened, error) {
	rk, err := secret.Read(c.RoutingKeyEnv, c.RoutingKeyFile, d.Getenv)
	if err != nil {
		return receiver.Opened{}, fmt.Errorf("%s.routing_key: %w", key, err)
	}
	tmpl, read, err := d.Renderer(&c.Common, key, Style)
	if err != nil {
		return receiver.Opened{}, err
	}
	s, err := New(Options{Key: key, Config: *c, RoutingKey: rk, Log: d.Log, Statuses: d.Statuses,
		Links: d.Links, Muted: d.Muted, Template: tmpl})
	if err != nil {
		return receiver.Opened{}, err
	}
	return receiver.Opened{Sink: s, Read: []string{rk.Reveal(), string(read)}}, nil
}

// render is what the integration would post for evs, given what it remembers: each
// request recorded instead of sent, with "REDACTED" for the routing key. As in run, an
// event a window holds from the receiver opens nothing.
func render(ctx context.Context, c *Config, key string, d receiver.Deps, evs []event.Event) (receiver.Rendering, error) {
	rec := &receiver.Recorder{}
	tmpl, _, err := d.Renderer(&c.Common, key, Style)
	if err != nil {
		return receiver.Rendering{}, err
	}
	s, err := New(Options{Key: key, Config: *c, RoutingKey: "REDACTED", Client: rec.Client(), Log: d.Log,
		Statuses: d.Statuses, Links: d.Links, Muted: d.Muted, Template: tmpl})
	if err != nil {
		return receiver.Rendering{}, err
	}
	return receiver.Record(ctx, s, rec, d, evs)
}
