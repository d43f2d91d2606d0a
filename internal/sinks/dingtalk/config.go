package dingtalk

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

// Config is one DingTalk custom robot ([[dingtalk]]). Its webhook URL holds the robot's
// access_token, so the file only names where to read it, as for the signing secret.
type Config struct {
	receiver.Common
	chat.Webhook
	chat.Signed // secret_env, secret_file
}

// Style is what a DingTalk receiver makes of a template: its "title", the message's
// title and heading, and its "body", markdown that replaces the facts. Values are
// escaped so that they form no HTML tag; mention writes "@name".
var Style = &msgtmpl.Style{Parts: []string{"title", "body"}, Escape: escape, Mention: msgtmpl.PlainMention}

// Spec is the registry entry of DingTalk ([[dingtalk]]).
var Spec = &receiver.Spec[Config]{
	Info: receiver.Info{
		Kind: "dingtalk", Key: "dingtalk", MinSeverity: "info",
		Example:  "name = \"dingtalk-ops\"\nurl_env = \"DINGTALK_WEBHOOK_URL\"\n",
		Help:     "a DingTalk custom robot: markdown (an actionCard with link buttons) per event, 20 a minute, one digest past it",
		Env:      []string{"dingtalk[].url_env, .secret_env  each DingTalk robot's webhook URL and signing secret"},
		Template: Style,
	},
	Common:   func(c *Config) *receiver.Common { return &c.Common },
	Defaults: func(c *Config, written func(string) bool) { c.Webhook.Defaults(written) },
	Validate: func(c *Config, key string, p *confkit.Problems) { c.endpoint(key).Validate(p) },
	Check:    func(c *Config, key string, getenv func(string) string) []error { return c.endpoint(key).Check(getenv) },
	Open:     open,
	Render:   render,
}

func (c *Config) endpoint(key string) chat.Endpoint {
	return c.Webhook.Endpoint(key, c.Name, &c.Signed)
}

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
	p := d.Share(chat.PaceKey("dingtalk", ep.URL), func() any { return pace.NewWindow(PerMinute, time.Minute, nil, nil) }).(*pace.Window)
	s, err := New(Options{Name: c.Name, URL: ep.URL, Secret: ep.Secret, Client: ep.Client, Deps: d, Template: tmpl, Pace: p})
	if err != nil {
		return receiver.Opened{}, err
	}
	return receiver.Opened{Sink: s, Read: append(ep.Read, string(read))}, nil
}

// renderURL stands for the robot's URL in a render: the real one is a secret.
const renderURL = "https://oapi.dingtalk.com/robot/send?access_token=REDACTED"

// render is what the robot would be posted for evs: each request recorded instead of sent,
// unsigned (no secret is read).
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
