package feishu

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

// Config is one Feishu (Lark) custom bot ([[feishu]]). Its webhook URL holds the bot's
// token, so the file only names where to read it, as for the signing secret.
type Config struct {
	receiver.Common
	chat.Webhook
	chat.Signed // secret_env, secret_file
}

// Style is what a Feishu receiver makes of a template: its "title", the card's header
// (plain text), and its "body", lark_md that replaces the card's facts. Values are
// escaped for lark_md; mention writes <at user_id="ou_…"></at>.
var Style = &msgtmpl.Style{Parts: []string{"title", "body"}, Escape: escape, Mention: msgtmpl.FeishuMention}

// Spec is the registry entry of Feishu ([[feishu]]).
var Spec = &receiver.Spec[Config]{
	Info: receiver.Info{
		Kind: "feishu", Key: "feishu", MinSeverity: "info",
		Example:  "name = \"feishu-ops\"\nurl_env = \"FEISHU_WEBHOOK_URL\"\n",
		Help:     "a Feishu (Lark) custom bot: an interactive card per event, coloured by outcome, a digest past ten",
		Env:      []string{"feishu[].url_env, .secret_env  each Feishu bot's webhook URL and signing secret"},
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
	// The bot's limits are its own: the receivers posting to it share them, and a reload
	// keeps them.
	type limits struct{ minute, second *pace.Window }
	l := d.Share(chat.PaceKey("feishu", ep.URL), func() any {
		return limits{pace.NewWindow(PerMinute, time.Minute, nil, nil), pace.NewWindow(PerSecond, time.Second, nil, nil)}
	}).(limits)
	s, err := New(Options{Name: c.Name, URL: ep.URL, Secret: ep.Secret, Client: ep.Client, Deps: d, Template: tmpl,
		Pace: l.minute, Space: l.second})
	if err != nil {
		return receiver.Opened{}, err
	}
	return receiver.Opened{Sink: s, Read: append(ep.Read, string(read))}, nil
}

// renderURL stands for the bot's URL in a render: the real one is a secret.
const renderURL = "https://open.feishu.cn/open-apis/bot/v2/hook/REDACTED"

// render is what the bot would be posted for evs: each request recorded instead of sent,
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
