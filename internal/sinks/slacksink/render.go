package slacksink

import (
	"strings"
	"time"

	"github.com/slack-go/slack"

	"notifier/internal/event"
)

// label returns the readable, escaped name of a task while it runs ("Adding a replica");
// an unknown name is shown as given.
func label(name string) string { return phrase(name, event.OutcomeRunning) }

// phrase names a task, escaped, in the tense of an outcome: "Replica added", "Adding a
// replica failed".
func phrase(name string, o event.Outcome) string {
	if strings.TrimSpace(name) == "" {
		return "Unnamed task"
	}
	return value(event.Phrase(name, o))
}

// outcome is how a status looks in a message: the same emoji, colour and words for one
// outcome everywhere. word is the status as a path shows it (STARTED → FAILED).
type outcome struct {
	kind               event.Outcome
	emoji, color, word string
	unknown            bool // a status the notifier does not know: running, as the poller follows it, but said plainly
}

var (
	failed        = outcome{kind: event.OutcomeFailed, emoji: "🔴", color: "#E01E5A", word: "FAILED"}
	running       = outcome{kind: event.OutcomeRunning, emoji: "🟡", color: "#ECB22E", word: "RUNNING"}
	ended         = outcome{kind: event.OutcomeEnded, emoji: "⚪", color: "#9E9E9E"}
	succeeded     = outcome{kind: event.OutcomeSucceeded, emoji: "🟢", color: "#2EB67D", word: "SUCCEEDED"}
	unknownStatus = outcome{kind: event.OutcomeRunning, emoji: "🟣", color: "#7C5CBF", unknown: true}
)

// outcomeOf shows a status as st classifies it, so a task is shown finished exactly when
// the poller stopped following it. A running or ended task's word is its status; a task
// that is not terminal in a status nobody knows has its own colour.
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
	if up == "" || !st.Known(up) {
		o := unknownStatus
		o.word = value(up)
		if up == "" {
			o.word = "STATUS UNKNOWN"
		}
		return o
	}
	o := running
	o.word = value(up)
	if created && (up == "RUNNING" || up == "EXECUTING") {
		o.word = "STARTED"
	}
	return o
}

// title is the bold part of a headline: the task in the tense of its outcome, then, for
// a task not finished, where it stands ("· started"), an unknown status said as such.
func title(name string, o outcome) string {
	t := "*" + phrase(name, o.kind)
	switch {
	case o.kind == event.OutcomeEnded:
		return t + " " + strings.ToLower(o.word) + "*"
	case o.unknown && o.word == "STATUS UNKNOWN":
		return t + "* · unknown status"
	case o.unknown:
		return t + "* · unknown status " + o.word
	case o.kind == event.OutcomeRunning:
		return t + "* · " + strings.ToLower(o.word)
	}
	return t + "*"
}

// where names the instance (its name, else its id), the project (its name, else the
// start of its id) and the region, for a headline.
func where(d *event.Data) []string {
	var out []string
	if i := first(value(d.InstanceName), code(d.InstanceID)); i != "" {
		out = append(out, i)
	}
	if p := first(value(d.ProjectName), code(clip(d.ProjectID, 8+len("…")))); p != "" {
		out = append(out, p)
	}
	if r := value(d.Region); r != "" {
		out = append(out, r)
	}
	return out
}

// instance is the Instance fact: its name and id.
func instance(d *event.Data) string {
	n, id := value(d.InstanceName), code(d.InstanceID)
	if n != "" && id != "" {
		return n + " " + id
	}
	return first(n, id)
}

// Render turns one event into a Slack message: a headline in the text (what the
// notification shows), then a coloured attachment with the facts and the details. now
// is the time the duration of a running task is measured to; statuses tell a finished
// task from a running one. Every value from the API is escaped, and the message respects
// Slack's limits whatever the input. A test event's headline starts with [TEST].
func Render(e *event.Event, now time.Time, statuses event.Statuses) slack.WebhookMessage {
	return RenderLinks(e, now, statuses, nil)
}

// RenderLinks is Render with the buttons of slack.links (NewLinks) that apply to the
// event's task.
func RenderLinks(e *event.Event, now time.Time, statuses event.Statuses, links []Link) slack.WebhookMessage {
	if e.IsTest() {
		return renderTest(e)
	}
	if m, ok := renderWatch(e, links); ok {
		return m
	}
	t := parseTask(e.Data.Task)
	name, status := first(e.Data.TaskName, t.str("name")), first(e.Data.Status, t.str("status"))
	o := outcomeOf(statuses, status, e.Type == event.TypeCreated)

	parts := []string{o.emoji + " " + title(name, o)}
	if e.Data.Severity == event.Critical {
		parts = append(parts, "critical")
	}
	headline := strings.Join(append(parts, where(&e.Data)...), " · ")

	st := value(status)
	if p := value(e.Data.PreviousStatus); p != "" && p != st {
		st += " (was " + p + ")"
	}
	if e.Data.UnseenStatuses {
		st += " (started and ended between two polls)"
	}
	if o.unknown {
		st = first(st, "none") + " (unknown status)"
	}
	detected := e.Data.DetectedAt
	created, updated := t.time("created_at"), t.time("updated_at")
	var errCode, errMsg string
	if o.kind != event.OutcomeSucceeded {
		c, m := event.TaskError(e.Data.Task)
		errCode, errMsg = code(c), value(m)
	}
	facts := []fact{
		{"Task", code(name)},
		{"Status", st},
		{"Severity", value(string(e.Data.Severity))},
		{"Error code", errCode},
		{"Error", errMsg},
		{"Instance", instance(&e.Data)},
		{"Project", value(e.Data.ProjectName)},
		{"Project id", code(e.Data.ProjectID)},
		{"Region", value(e.Data.Region)},
		{"Started by", value(t.str("user_name"))},
		duration(created, updated, now, detected, o.kind == event.OutcomeRunning),
		{"Created", showTime(created, t.str("created_at"), detected)},
		{"Updated", showTime(updated, t.str("updated_at"), detected)},
		{"Task id", code(first(t.str("id"), e.Subject))},
		{"Job id", code(t.str("job_id"))},
	}

	blocks := fieldSections(facts)
	if lines := detailLines(t.details()); len(lines) > 0 {
		blocks = append(blocks, mrkdwnSection(limit("*Details*\n"+strings.Join(lines, "\n"), maxText)))
	}
	if b := buttons(e, first(t.str("id"), e.Subject), links); b != nil {
		blocks = append(blocks, b)
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

// showTime prints a parsed API time in UTC, or the raw value when it did not parse or is
// later than detected (a clock ahead of ours): shown as given, not as our reading of it.
func showTime(t time.Time, raw string, detected time.Time) string {
	if t.IsZero() || !detected.IsZero() && t.After(detected) {
		return value(raw)
	}
	return t.UTC().Format(timeLayout)
}

// duration is how long a finished task took, or how long a running one has run so far,
// from created_at. A time later than detected gives none: never a negative duration.
func duration(created, updated, now, detected time.Time, running bool) fact {
	later := func(t time.Time) bool { return !detected.IsZero() && t.After(detected) }
	switch {
	case created.IsZero() || later(created) || !running && later(updated):
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
