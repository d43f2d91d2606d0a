package slacksink

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"notifier/internal/event"
)

// digestOver is how many events may wait for one webhook before they go out as one digest
// message instead of one message each.
const digestOver = 10

// Messages returns what Send posts for evs, in order: one digest when more than ten
// wait, else one message each. It is for showing what would be sent (once --dry-run
// --render); st and now are as for Render.
func Messages(evs []event.Event, now time.Time, st event.Statuses) []slack.WebhookMessage {
	if st == nil {
		st = event.DefaultStatuses()
	}
	if len(evs) > digestOver {
		return []slack.WebhookMessage{RenderDigest(evs, now, st)}
	}
	out := make([]slack.WebhookMessage, len(evs))
	for i := range evs {
		out[i] = Render(&evs[i], now, st)
	}
	return out
}

// digestLines bounds the lines of a digest: past a screenful nobody reads on, and the
// console has the rest.
const digestLines = 40

// RenderDigest turns many events into one message with a line per task, the most severe
// first (failures before running before finished tasks at equal severity, otherwise in
// order). Lines that do not fit Slack's limits are summed up as "… and N more". now is the
// time the duration of a running task is measured to; st tells a finished task from a
// running one.
func RenderDigest(evs []event.Event, now time.Time, st event.Statuses) slack.WebhookMessage {
	type row struct {
		e *event.Event
		o outcome
	}
	rows := make([]row, len(evs))
	for i := range evs {
		e := &evs[i]
		rows[i] = row{e, outcomeOf(st, first(e.Data.Status, parseTask(e.Data.Task).str("status")), e.Type == event.TypeCreated)}
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		if d := b.e.Data.Severity.Rank() - a.e.Data.Severity.Rank(); d != 0 {
			return d
		}
		return int(a.o.kind) - int(b.o.kind)
	})

	counts := map[event.Outcome]int{}
	worst := succeeded
	for _, r := range rows {
		counts[r.o.kind]++
		if r.o.kind < worst.kind {
			worst = r.o
		}
	}
	var summary []string
	for _, k := range []struct {
		k    event.Outcome
		word string
	}{{event.OutcomeFailed, "failed"}, {event.OutcomeRunning, "running"}, {event.OutcomeEnded, "ended"}, {event.OutcomeSucceeded, "succeeded"}} {
		if counts[k.k] > 0 {
			summary = append(summary, fmt.Sprintf("%d %s", counts[k.k], k.word))
		}
	}
	headline := fmt.Sprintf("%s *%d DCS task events* · %s", worst.emoji, len(evs), strings.Join(summary, ", "))

	lines := make([]string, 0, min(len(rows), digestLines))
	for _, r := range rows[:min(len(rows), digestLines)] {
		lines = append(lines, digestLine(r.e, r.o, now))
	}
	// Room for the "… and N more" line in the last text.
	texts, rest := joinLimited(lines, maxText-40, maxBlocks-2)
	if rest += len(rows) - len(lines); rest > 0 {
		texts[len(texts)-1] += fmt.Sprintf("\n… and %d more", rest)
	}
	blocks := make([]slack.Block, 0, len(texts)+1)
	for _, t := range texts {
		blocks = append(blocks, mrkdwnSection(t))
	}
	blocks = append(blocks, slack.NewContextBlock("", mrkdwn(fmt.Sprintf(
		"Sent as one message because %d events were waiting for this channel; most severe first.", len(evs)))))
	return message(headline, worst.color, blocks)
}

// digestLine is one task in a digest: what, outcome, severity, where, who, when.
func digestLine(e *event.Event, o outcome, now time.Time) string {
	if m, ok := renderWatch(e); ok { // a stuck task or a blind spot: its headline says it
		return m.Text
	}
	t := parseTask(e.Data.Task)
	parts := []string{fmt.Sprintf("%s *%s %s*", o.emoji, label(first(e.Data.TaskName, t.str("name"))), o.word)}
	if e.IsTest() {
		parts[0] = testTag + " " + parts[0]
	}
	add := func(s string) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	add(value(string(e.Data.Severity)))
	add(value(e.Data.Region))
	if p := code(clip(e.Data.ProjectID, 8+len("…"))); p != "" {
		add("project " + p)
	}
	if u := value(t.str("user_name")); u != "" {
		add("by " + u)
	}
	created := t.time("created_at")
	if when := showTime(created, t.str("created_at")); when != "" {
		if d := duration(created, t.time("updated_at"), now, o.kind == event.OutcomeRunning); d.value != "" {
			when += " (" + d.value + ")"
		}
		add(when)
	}
	if o.kind != event.OutcomeSucceeded {
		if c := code(t.str("error_code")); c != "" {
			add("error " + c)
		}
	}
	if id := code(first(t.str("id"), e.Subject)); id != "" {
		add("task " + id)
	}
	return strings.Join(parts, " · ")
}
