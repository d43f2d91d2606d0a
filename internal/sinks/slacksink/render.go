package slacksink

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"notifier/internal/event"
)

// label returns the readable, escaped name of a task; an unknown name is shown as given.
func label(name string) string {
	if v := value(event.Label(name)); v != "" {
		return v
	}
	return "Unnamed task"
}

// outcome is how a status looks in a message.
type outcome struct {
	kind               event.Outcome
	emoji, color, word string
}

var (
	failed    = outcome{event.OutcomeFailed, "🔴", "#E01E5A", "FAILED"}
	running   = outcome{event.OutcomeRunning, "🟡", "#ECB22E", "RUNNING"}
	ended     = outcome{event.OutcomeEnded, "⚪", "#9E9E9E", ""}
	succeeded = outcome{event.OutcomeSucceeded, "🟢", "#2EB67D", "SUCCEEDED"}
)

// outcomeOf shows a status as st classifies it, so a task is shown finished exactly when
// the poller stopped following it. A running or ended task's word is its status.
func outcomeOf(st event.Statuses, status string, created bool) outcome {
	up := strings.ToUpper(strings.TrimSpace(status))
	switch st.Outcome(up) {
	case event.OutcomeFailed:
		return failed
	case event.OutcomeSucceeded:
		return succeeded
	case event.OutcomeEnded:
		o := ended
		o.word = value(up)
		return o
	}
	o := running
	switch {
	case created && (up == "RUNNING" || up == "EXECUTING"):
		o.word = "STARTED"
	case up == "":
		o.word = "STATUS UNKNOWN"
	default:
		o.word = value(up)
	}
	return o
}

// Render turns one event into a Slack message: a headline in the text (what the
// notification shows), then a coloured attachment with the facts and the details. now
// is the time the duration of a running task is measured to; statuses tell a finished
// task from a running one. Every value from the API is escaped, and the message respects
// Slack's limits whatever the input. A test event's headline starts with [TEST].
func Render(e *event.Event, now time.Time, statuses event.Statuses) slack.WebhookMessage {
	if e.IsTest() {
		return renderTest(e)
	}
	if m, ok := renderWatch(e); ok {
		return m
	}
	t := parseTask(e.Data.Task)
	name, status := first(e.Data.TaskName, t.str("name")), first(e.Data.Status, t.str("status"))
	o := outcomeOf(statuses, status, e.Type == event.TypeCreated)

	headline := fmt.Sprintf("%s *%s %s* · %s", o.emoji, label(name), o.word, value(string(e.Data.Severity)))
	if r := value(e.Data.Region); r != "" {
		headline += " · " + r
	}

	st := value(status)
	if p := value(e.Data.PreviousStatus); p != "" && p != st {
		st += " (was " + p + ")"
	}
	created, updated := t.time("created_at"), t.time("updated_at")
	var errCode string
	if o.kind != event.OutcomeSucceeded {
		errCode = code(t.str("error_code"))
	}
	facts := []fact{
		{"Status", st},
		{"Error code", errCode},
		{"Project", code(e.Data.ProjectID)},
		{"Region", value(e.Data.Region)},
		{"Started by", value(t.str("user_name"))},
		duration(created, updated, now, o.kind == event.OutcomeRunning),
		{"Created", showTime(created, t.str("created_at"))},
		{"Updated", showTime(updated, t.str("updated_at"))},
		{"Task id", code(first(t.str("id"), e.Subject))},
		{"Job id", code(t.str("job_id"))},
	}

	blocks := fieldSections(facts)
	if lines := detailLines(t.details()); len(lines) > 0 {
		blocks = append(blocks, mrkdwnSection(limit("*Details*\n"+strings.Join(lines, "\n"), maxText)))
	}
	foot := "Event " + code(e.ID)
	if !e.Data.DetectedAt.IsZero() {
		foot += " · detected " + e.Data.DetectedAt.UTC().Format(timeLayout)
	}
	blocks = append(blocks, slack.NewContextBlock("", mrkdwn(limit(foot, maxText))))
	return message(headline, o.color, blocks)
}

// fact is one labelled value of a message; an empty value is left out.
type fact struct{ name, value string }

// fieldSections lays the non-empty facts out as two-column section fields, ten a section.
func fieldSections(facts []fact) []slack.Block {
	var fields []*slack.TextBlockObject
	for _, f := range facts {
		if f.value != "" {
			fields = append(fields, mrkdwn(limit("*"+f.name+"*\n"+f.value, maxField)))
		}
	}
	var blocks []slack.Block
	for len(fields) > 0 {
		n := min(len(fields), maxFields)
		blocks = append(blocks, slack.NewSectionBlock(nil, fields[:n], nil))
		fields = fields[n:]
	}
	return blocks
}

const timeLayout = "2006-01-02 15:04:05 UTC"

// showTime prints a parsed API time in UTC, or the raw value when it did not parse.
func showTime(t time.Time, raw string) string {
	if t.IsZero() {
		return value(raw)
	}
	return t.UTC().Format(timeLayout)
}

// duration is how long a finished task took, or how long a running one has run so far.
func duration(created, updated, now time.Time, running bool) fact {
	switch {
	case created.IsZero():
		return fact{}
	case running && !now.IsZero() && !now.Before(created):
		return fact{"Running for", showDuration(now.Sub(created))}
	case !running && !updated.IsZero() && !updated.Before(created):
		return fact{"Duration", showDuration(updated.Sub(created))}
	}
	return fact{}
}

func showDuration(d time.Duration) string {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func first(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}

func mrkdwn(s string) *slack.TextBlockObject {
	// Verbatim: Slack must not turn names or URLs in our text into mentions or links.
	return &slack.TextBlockObject{Type: slack.MarkdownType, Text: s, Verbatim: true}
}

func mrkdwnSection(s string) *slack.SectionBlock { return slack.NewSectionBlock(mrkdwn(s), nil, nil) }

// message wraps blocks in an attachment of the given colour under a headline.
func message(headline, color string, blocks []slack.Block) slack.WebhookMessage {
	off := false
	headline = limit(headline, maxText)
	if len(blocks) > maxBlocks {
		blocks = blocks[:maxBlocks]
	}
	return slack.WebhookMessage{
		Text:        headline,
		Parse:       "none",
		UnfurlLinks: &off,
		UnfurlMedia: &off,
		Attachments: []slack.Attachment{{
			Color:    color,
			Fallback: headline,
			Blocks:   slack.Blocks{BlockSet: blocks},
		}},
	}
}
