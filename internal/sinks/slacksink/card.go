package slacksink

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"notifier/internal/event"
)

// card is what a channel receiver remembers of one task, as JSON under the task's id in
// its memory of the task's project: the card's message and the statuses the task went
// through. It stays small: at most maxSteps steps.
type card struct {
	TS      string `json:"ts,omitempty"`      // the card's message; "" while none is posted (a digest told of the task)
	Channel string `json:"channel,omitempty"` // the channel id Slack answered with, which chat.update wants
	To      string `json:"to,omitempty"`      // slack.channels[].channel it was posted for: another one means a new card
	Event   string `json:"event,omitempty"`   // the last event shown on it
	Steps   []step `json:"steps,omitempty"`
}

// step is one status of the task and when the notifier saw it (Unix seconds; 0 unknown).
type step struct {
	Status string `json:"s"`
	At     int64  `json:"t,omitempty"`
}

// maxSteps bounds a card's history: the first step and the latest ones are kept.
const maxSteps = 20

// maxStatus bounds one status in the memory; the API's statuses are short words.
const maxStatus = 40

func decodeCard(v string) (card, bool) {
	var c card
	if v == "" || json.Unmarshal([]byte(v), &c) != nil {
		return card{}, false
	}
	return c, true
}

func (c *card) encode() string {
	b, _ := json.Marshal(c) // strings and numbers only: cannot fail
	return string(b)
}

// last is when the card last changed, for pruning.
func (c *card) last() time.Time {
	var t int64
	for _, s := range c.Steps {
		t = max(t, s.At)
	}
	return time.Unix(t, 0)
}

// add records e's status on the card. A first event that says where the task came from
// (a filter let only its failure through) starts the history with that status, its time
// unknown.
func (c *card) add(e *event.Event) {
	status := clip(strings.ToUpper(strings.TrimSpace(first(e.Data.Status, parseTask(e.Data.Task).str("status")))), maxStatus)
	at := e.Data.DetectedAt
	if at.IsZero() {
		at = e.Time
	}
	if prev := clip(strings.ToUpper(strings.TrimSpace(e.Data.PreviousStatus)), maxStatus); len(c.Steps) == 0 && prev != "" && prev != status {
		c.Steps = append(c.Steps, step{Status: prev})
	}
	var unix int64
	if !at.IsZero() {
		unix = at.Unix()
	}
	c.Steps = append(c.Steps, step{Status: status, At: unix})
	if n := len(c.Steps); n > maxSteps {
		c.Steps = append(c.Steps[:1], c.Steps[n-maxSteps+1:]...)
	}
	c.Event = e.ID
}

// history is the card's history line: RUNNING 03:02:14 → FAILED 03:02:49 (UTC), escaped.
func (c *card) history() string {
	parts := make([]string, 0, len(c.Steps))
	for _, s := range c.Steps {
		p := first(value(s.Status), "STATUS UNKNOWN")
		if s.At != 0 {
			p += " " + time.Unix(s.At, 0).UTC().Format("15:04:05")
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " → ")
}

// RenderCard is the live card of a task: the message Render makes of its latest event,
// with the history of its statuses under the headline (times in UTC). A card is
// replaced in place as the task goes on, so it always says where the task stands.
func RenderCard(e *event.Event, now time.Time, st event.Statuses, links []Link, history string) slack.WebhookMessage {
	m := RenderLinks(e, now, st, links)
	if history == "" || len(m.Attachments) == 0 {
		return m
	}
	a := &m.Attachments[0]
	blocks := append([]slack.Block{mrkdwnSection(limit("*History* "+history, maxText))}, a.Blocks.BlockSet...)
	if len(blocks) > maxBlocks {
		blocks = blocks[:maxBlocks]
	}
	a.Blocks.BlockSet = blocks
	return m
}

// replyOf is a reply in a card's thread of event e rendered as m: its headline, in its
// colour, and the task's API name (a critical reply is also in the channel, away from its
// card).
func replyOf(e *event.Event, m slack.WebhookMessage) slack.WebhookMessage {
	color := ""
	if len(m.Attachments) > 0 {
		color = m.Attachments[0].Color
	}
	blocks := []slack.Block{mrkdwnSection(m.Text)}
	if n := code(first(e.Data.TaskName, parseTask(e.Data.Task).str("name"))); n != "" {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn("Task "+n)))
	}
	return message(m.Text, color, blocks)
}
