package teams

import (
	"context"
	"fmt"
	"time"

	"notifier/internal/confkit"
	"notifier/internal/event"
	"notifier/internal/httpx"
	"notifier/internal/msgtmpl"
	"notifier/internal/receiver"
)

// Config is one Microsoft Teams Workflows webhook ([[teams]]): each event is posted as
// an Adaptive Card. The URL is a secret (its signature is in the query), so the file
// only names where to read it.
type Config struct {
	receiver.Common
	URLEnv    string           `toml:"url_env"`
	URLFile   string           `toml:"url_file"`
	Timeout   confkit.Duration `toml:"timeout"`
	TLSCAFile string           `toml:"tls_ca_file"`
}

// Style is what a Teams receiver makes of a template: its "headline", the card's first
// line, and its "body", a paragraph under it, as Slack's.
var Style = &msgtmpl.Style{Parts: []string{"headline", "body"}, Mention: msgtmpl.PlainMention}

// Spec is the registry entry of a Teams Workflows webhook ([[teams]]).
var Spec = &receiver.Spec[Config]{
	Info: receiver.Info{
		Kind: "teams", Key: "teams", MinSeverity: "info",
		Example:  "name = \"teams-ops\"\nurl_env = \"TEAMS_WEBHOOK_URL\"\n",
		Help:     "a Microsoft Teams Workflows webhook: one Adaptive Card per event",
		Env:      []string{"teams[].url_env  each Teams Workflows webhook's URL, as its url_env names it"},
		Template: Style,
	},
	Common:   func(c *Config) *receiver.Common { return &c.Common },
	Defaults: defaults,
	Validate: validate,
	Check:    check,
	Open:     open,
	Render:   render,
}

func defaults(c *Config, written func(string) bool) {
	if !written("timeout") {
		c.Timeout = confkit.Duration(httpx.DefaultTimeout)
	}
}

func validate(c *Config, key string, p *confkit.Problems) {
	if (c.URLEnv == "") == (c.URLFile == "") {
		p.Add(key, "exactly one of url_env and url_file must be set")
	}
	p.EnvName(key+".url_env", c.URLEnv, false)
	p.AtLeast(key+".timeout", c.Timeout, time.Second)
}

// check reads the URL and tls_ca_file as Open will.
func check(c *Config, key string, getenv func(string) string) []error {
	var errs []error
	if _, err := httpx.ReadURL(key, c.URLEnv, c.URLFile, getenv); err != nil {
		errs = append(errs, fmt.Errorf("%w (receiver %q)", err, c.Name))
	}
	if _, _, err := httpx.ClientFor(c.Timeout.D(), c.TLSCAFile); err != nil {
		errs = append(errs, fmt.Errorf("%s.tls_ca_file: %w", key, err))
	}
	return errs
}

func open(c *Config, key string, d receiver.Deps) (receiver.Opened, error) {
	u, err := httpx.ReadURL(key, c.URLEnv, c.URLFile, d.Getenv)
	if err != nil {
		return receiver.Opened{}, err
	}
	client, pem, err := httpx.ClientFor(c.Timeout.D(), c.TLSCAFile)
	if err != nil {
		return receiver.Opened{}, fmt.Errorf("%s.tls_ca_file: %w", key, err)
	}
	tmpl, read, err := d.Renderer(&c.Common, key, Style)
	if err != nil {
		return receiver.Opened{}, err
	}
	s, err := New(Options{Name: c.Name, URL: u, Client: client, Log: d.Log, Statuses: d.Statuses, Links: d.Links,
		Template: tmpl})
	if err != nil {
		return receiver.Opened{}, err
	}
	return receiver.Opened{Sink: s, Read: []string{u.Reveal(), string(pem), string(read)}}, nil
}

// render is what the webhook would be posted for evs: one card each, the URL shown as
// where it comes from.
func render(_ context.Context, c *Config, key string, d receiver.Deps, evs []event.Event) (receiver.Rendering, error) {
	tmpl, _, err := d.Renderer(&c.Common, key, Style)
	if err != nil {
		return receiver.Rendering{}, err
	}
	var now func() time.Time
	if !d.Now.IsZero() {
		now = func() time.Time { return d.Now }
	}
	s, err := New(Options{Name: c.Name, Log: d.Log, Statuses: d.Statuses, Links: d.Links, Template: tmpl, Now: now})
	if err != nil {
		return receiver.Rendering{}, err
	}
	line := "POST $" + c.URLEnv
	if c.URLFile != "" {
		line = "POST <" + c.URLFile + ">"
	}
	r := receiver.Rendering{Unit: "request"}
	for i := range evs {
		r.Payloads = append(r.Payloads, line, s.Message(&evs[i]))
		r.Units++
	}
	return r, nil
}
