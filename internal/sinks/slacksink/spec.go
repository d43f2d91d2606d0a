package slacksink

import (
	"context"
	"time"

	"notifier/internal/event"
	"notifier/internal/receiver"
)

// WebhookSpec is the registry entry of a Slack incoming webhook ([[slack.webhooks]]).
var WebhookSpec = &receiver.Spec[WebhookConfig]{
	Info: receiver.Info{
		Kind: "slack", Key: "slack.webhooks", MinSeverity: "info",
		Example:  "name = \"team\"\nurl_env = \"SLACK_WEBHOOK_URL\"\n",
		Help:     "a Slack incoming webhook: one message per event, a digest past ten",
		Env:      []string{"slack.webhooks[].url_env  each Slack webhook's URL, as its url_env names it"},
		Template: Style,
	},
	Common:   func(w *WebhookConfig) *receiver.Common { return &w.Common },
	Validate: validateWebhook,
	Check:    checkWebhook,
	Open:     openWebhook,
	Render: func(ctx context.Context, w *WebhookConfig, key string, d receiver.Deps, evs []event.Event) (receiver.Rendering, error) {
		return render(ctx, &w.Common, key, d, evs)
	},
}

// ChannelSpec is the registry entry of a Slack channel with live cards
// ([[slack.channels]]).
var ChannelSpec = &receiver.Spec[ChannelConfig]{
	Info: receiver.Info{
		Kind: "slack-channel", Key: "slack.channels", MinSeverity: "info",
		Example:  "name = \"live\"\nbot_token_env = \"SLACK_BOT_TOKEN\"\nchannel = \"C0123456789\"\n",
		Help:     "a Slack channel where a bot keeps one live card per task",
		Env:      []string{"slack.channels[].bot_token_env  each Slack channel's bot token, as its bot_token_env names it"},
		Template: Style,
	},
	Common:   func(ch *ChannelConfig) *receiver.Common { return &ch.Common },
	Defaults: channelDefaults,
	Validate: validateChannel,
	Check:    checkChannel,
	Open:     openChannel,
	Render: func(ctx context.Context, ch *ChannelConfig, key string, d receiver.Deps, evs []event.Event) (receiver.Rendering, error) {
		return render(ctx, &ch.Common, key, d, evs)
	},
}

func openWebhook(w *WebhookConfig, key string, d receiver.Deps) (receiver.Opened, error) {
	u, err := readURL(w, key, d.Getenv)
	if err != nil {
		return receiver.Opened{}, err
	}
	tmpl, read, err := d.Renderer(&w.Common, key, Style)
	if err != nil {
		return receiver.Opened{}, err
	}
	s, err := New(Options{Key: key, Webhook: *w, URL: u, Statuses: d.Statuses, Links: d.Links,
		Log: d.Log, During: d.During, Template: tmpl})
	if err != nil {
		return receiver.Opened{}, err
	}
	return receiver.Opened{Sink: s, Read: []string{u.Reveal(), string(read)}}, nil
}

// openChannel opens a channel's receiver. The receivers of one channel share its pace:
// Slack's limit is per channel, and a reload keeps it.
func openChannel(ch *ChannelConfig, key string, d receiver.Deps) (receiver.Opened, error) {
	tok, err := ch.ReadToken(key, d.Getenv)
	if err != nil {
		return receiver.Opened{}, err
	}
	tmpl, read, err := d.Renderer(&ch.Common, key, Style)
	if err != nil {
		return receiver.Opened{}, err
	}
	pace := d.Share("slack-channel "+ch.Channel, func() any { return NewPacer() }).(Pacer)
	// A card is remembered as long as the poller may still report on its task
	// (poll.max_follow, then poll.lookback) and a day more.
	keep := max(DefaultKeep, d.MaxFollow+d.Lookback+24*time.Hour)
	s, err := NewChannel(ChannelOptions{Key: key, Channel: *ch, Token: tok, Pace: pace, Keep: keep,
		Statuses: d.Statuses, Links: d.Links, Log: d.Log, During: d.During, Template: tmpl})
	if err != nil {
		return receiver.Opened{}, err
	}
	return receiver.Opened{Sink: s, Read: []string{tok.Reveal(), string(read)}}, nil
}

// render is what a webhook or a channel would post: one message per event (a channel's
// first message of a task is its card), with the receiver's template, a digest past ten.
func render(_ context.Context, c *receiver.Common, key string, d receiver.Deps, evs []event.Event) (receiver.Rendering, error) {
	links, err := NewLinks(d.Links)
	if err != nil {
		return receiver.Rendering{}, err
	}
	tmpl, _, err := d.Renderer(c, key, Style)
	if err != nil {
		return receiver.Rendering{}, err
	}
	msgs := messages(evs, d.Now, d.Statuses, links, tmpl)
	r := receiver.Rendering{Unit: "message", Units: len(msgs)}
	for _, m := range msgs {
		r.Payloads = append(r.Payloads, m)
	}
	return r, nil
}
