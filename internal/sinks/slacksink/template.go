package slacksink

import (
	"strings"
	"time"

	"github.com/slack-go/slack"

	"notifier/internal/event"
	"notifier/internal/msgtmpl"
)

// Style is what a Slack receiver makes of a template (template, template_file): its
// "headline", the message's text (what the notification shows), and its "body", a
// section at the top of the attachment; the Block Kit around them (colour, facts,
// buttons, footer) stays the notifier's. Every action's output is escaped as an API
// value is, so only the template's own text and mention can mention or link.
var Style = &msgtmpl.Style{Parts: []string{"headline", "body"}, Escape: escape, Mention: msgtmpl.SlackMention}

// withTemplate puts the template's headline and body, when it gives them for e, on m,
// the built-in message of e. A test event's headline always starts with [TEST].
func withTemplate(m *slack.WebhookMessage, r *msgtmpl.Renderer, e *event.Event) {
	if r == nil {
		return
	}
	out := r.Render(e)
	if h := out.Get("headline"); h != "" {
		if e.IsTest() && !strings.HasPrefix(h, testTag) {
			h = testTag + " " + h
		}
		m.Text = limit(h, maxText)
		if len(m.Attachments) > 0 {
			m.Attachments[0].Fallback = m.Text
		}
	}
	if b := out.Get("body"); b != "" && len(m.Attachments) > 0 {
		a := &m.Attachments[0]
		blocks := append([]slack.Block{mrkdwnSection(limit(b, maxText))}, a.Blocks.BlockSet...)
		if len(blocks) > maxBlocks {
			blocks = blocks[:maxBlocks]
		}
		a.Blocks.BlockSet = blocks
	}
}

// messages is Messages with the receiver's template on each message (a digest has
// none).
func messages(evs []event.Event, now time.Time, st event.Statuses, links []Link, r *msgtmpl.Renderer) []slack.WebhookMessage {
	msgs := Messages(evs, now, st, links)
	if len(evs) > digestOver {
		return msgs
	}
	for i := range msgs {
		withTemplate(&msgs[i], r, &evs[i])
	}
	return msgs
}
