package wecom

import (
	"context"
	"time"

	"notifier/internal/confkit"
	"notifier/internal/event"
	"notifier/internal/msgtmpl"
	"notifier/internal/receiver"
	"notifier/internal/secret"
	"notifier/internal/sinks/chat"
	"notifier/internal/sinks/pace"
)

// Config is one WeCom group robot ([[wecom]]). Its webhook URL holds the robot's key, so
// the file only names where to read it.
type Config struct {
	receiver.Common
	chat.Webhook
}

// Style is what a WeCom receiver makes of a template: its "title", the message's
// heading, and its "body", markdown that replaces the facts. Values are escaped so that
// they form no tag; mention writes "@name".
var Style = &msgtmpl.Style{Parts: []string{"title", "body"}, Escape: escape, Mention: msgtmpl.PlainMention}

// Spec is the registry entry of WeCom ([[wecom]]).
var Spec = &receiver.Spec[Config]{
	Info: receiver.Info{
		Kind: "wecom", Key: "wecom", MinSeverity: "info",
		Example:  "name = \"wecom-ops\"\nurl_env = \"WECOM_WEBHOOK_URL\"\n",
		Help:     "a WeCom group robot: markdown per event, 20 a minute, one digest past it",
		Env:      []string{"wecom[].url_env  each WeCom robot's webhook URL (its key in it)"},
		Template: Style,
	},
	Common:   func(c *Config) *receiver.Common { return &c.Common },
	Defaults: func(c *Config, written func(string) bool) { c.Webhook.Defaults(written) },
	Validate: func(c *Config, key string, p *confkit.Problems) { c.endpoint(key).Validate(p) },
	Check:    func(c *Config, key string, getenv func(string) string) []error { return c.endpoint(key).Check(getenv) },
	Open:     open,
	Render:   render,
}

func (c *Config) endpoint(key string) chat.Endpoint { return c.Webhook.Endpoint(key, c.Name, nil) }

func open(c *Config, key string, d receiver.Deps) (receiver.Opened, error) {
	ep, err := c.endpoint(key).Open(d.Getenv)
	if err != nil {
		return receiver.Opened{}, err
	}
	tmpl, read, err := d.Renderer(&c.Common, key, Style)
	if err != nil {
		return receiver.Opened{}, err
	}
	// The robot's limit is its own: the receivers posting to it share one pace, which a
	// reload keeps.
	p := d.Share(chat.PaceKey("wecom", ep.URL), func() any { return pace.NewWindow(PerMinute, time.Minute, nil, nil) }).(*pace.Window)
	s, err := New(Options{Name: c.Name, URL: ep.URL, Client: ep.Client, Deps: d, Template: tmpl, Pace: p})
	if err != nil {
		return receiver.Opened{}, err
	}
	return receiver.Opened{Sink: s, Read: append(ep.Read, string(read))}, nil
}

// renderURL stands for the robot's URL in a render: the real one is a secret.
const renderURL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=REDACTED"

// render is what the robot would be posted for evs: each request recorded instead of sent.
func render(ctx context.Context, c *Config, key string, d receiver.Deps, evs []event.Event) (receiver.Rendering, error) {
	rec := &receiver.Recorder{}
	tmpl, _, err := d.Renderer(&c.Common, key, Style)
	if err != nil {
		return receiver.Rendering{}, err
	}
	var now func() time.Time
	if !d.Now.IsZero() {
		now = func() time.Time { return d.Now }
	}
	s, err := New(Options{Name: c.Name, URL: secret.Secret(renderURL), Client: rec.Client(), Deps: d, Template: tmpl, Now: now})
	if err != nil {
		return receiver.Rendering{}, err
	}
	return receiver.Record(ctx, s, rec, d, evs)
}
