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
func Messages(evs []event.Event, now time.Time, st event.Statuses, links []Link) []slack.WebhookMessage {
	if st == nil {
		st = event.DefaultStatuses()
	}
	if len(evs) > digestOver {
		return []slack.WebhookMessage{RenderDigest(evs, now, st)}
	}
	out := make([]slack.WebhookMessage, len(evs))
	for i := range evs {
		out[i] = RenderLinks(&evs[i], now, st, links)
	}
	return out
}

// digestLines bounds the lines of a digest: past a screenful nobody reads on, and the
// console has the rest.
const digestLines = 40

// row is one line of a digest: a task, however many of its events wait, or an event about
// no task's status (a stuck task, a blind spot).
type row struct {
	last *event.Event // the task's latest event
	o    outcome      // of its latest status
	path []string     // the statuses it went through, as words: STARTED → FAILED
	sev  event.Severity
}

// rows groups evs by task (project and task id), in the order of their first event; a
// task's line shows its latest status and the path it took.
func rows(evs []event.Event, st event.Statuses) []*row {
	var out []*row
	byTask := map[string]*row{}
	for i := range evs {
		e := &evs[i]
		o := outcomeOf(st, first(e.Data.Status, parseTask(e.Data.Task).str("status")), e.Type == event.TypeCreated)
		task := e.Type == event.TypeCreated || e.Type == event.TypeStatusChanged
		key := e.Data.ProjectID + "\x00" + e.Subject
		r := byTask[key]
		if r == nil || !task || e.Subject == "" {
			r = &row{sev: e.Data.Severity}
			out = append(out, r)
			if task && e.Subject != "" {
				byTask[key] = r
			}
			if p := value(strings.ToUpper(e.Data.PreviousStatus)); p != "" && task {
				r.path = append(r.path, p)
			}
		}
		r.last, r.o = e, o
		if e.Data.Severity.Rank() > r.sev.Rank() {
			r.sev = e.Data.Severity
		}
		w := first(o.word, "?")
		if n := len(r.path); task && (n == 0 || r.path[n-1] != w) {
			r.path = append(r.path, w)
		}
	}
	return out
}

// RenderDigest turns many events into one message with a line per task: its latest
// status and the path it took, the most severe first (failures before running before
// finished tasks at equal severity, otherwise in order). The headline counts tasks by
// outcome. Lines that do not fit Slack's limits are summed up as "… and N more". now is
// the time the duration of a running task is measured to; st tells a finished task from a
// running one.
func RenderDigest(evs []event.Event, now time.Time, st event.Statuses) slack.WebhookMessage {
	rs := rows(evs, st)
	slices.SortStableFunc(rs, func(a, b *row) int {
		if d := b.sev.Rank() - a.sev.Rank(); d != 0 {
			return d
		}
		return int(a.o.kind) - int(b.o.kind)
	})

	counts := map[string]int{}
	worst := succeeded
	for _, r := range rs {
		counts[kindWord(r.o)]++
		if r.o.kind < worst.kind || r.o.kind == worst.kind && worst.unknown && !r.o.unknown {
			worst = r.o
		}
	}
	var summary []string
	for _, k := range []string{"failed", "running", "unknown status", "ended", "succeeded"} {
		if counts[k] > 0 {
			summary = append(summary, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	tasks := "tasks"
	if len(rs) == 1 {
		tasks = "task"
	}
	headline := fmt.Sprintf("%s *%d DCS %s* · %s · %d events", worst.emoji, len(rs), tasks, strings.Join(summary, ", "), len(evs))

	lines := make([]string, 0, min(len(rs), digestLines))
	for _, r := range rs[:min(len(rs), digestLines)] {
		lines = append(lines, digestLine(r, now))
	}
	// Room for the "… and N more" line in the last text.
	texts, rest := joinLimited(lines, maxText-40, maxBlocks-2)
	if rest += len(rs) - len(lines); rest > 0 {
		texts[len(texts)-1] += fmt.Sprintf("\n… and %d more", rest)
	}
	blocks := make([]slack.Block, 0, len(texts)+1)
	for _, t := range texts {
		blocks = append(blocks, mrkdwnSection(t))
	}
	blocks = append(blocks, slack.NewContextBlock("", mrkdwn(fmt.Sprintf(
		"Sent as one message because %d events were waiting for this channel: one line per task, most severe first.", len(evs)))))
	return message(headline, worst.color, blocks)
}

// kindWord is how the digest headline counts an outcome.
func kindWord(o outcome) string {
	if o.unknown {
		return "unknown status"
	}
	return o.kind.String()
}

// digestLine is one task in a digest: what, the path it took, severity when critical,
// where, who, when, the error, and the task's API name and id (task
// `masterStandbySwapJob` · id `ff80…`).
func digestLine(r *row, now time.Time) string {
	e, o := r.last, r.o
	t := parseTask(e.Data.Task)
	name := first(e.Data.TaskName, t.str("name"))
	if m, ok := renderWatch(e, nil); ok { // a stuck task or a blind spot: its headline says it
		if e.Type == event.TypeStuck && code(name) != "" {
			return m.Text + " · task " + code(name)
		}
		return m.Text
	}
	parts := []string{o.emoji + " " + title(name, o)}
	if e.IsTest() {
		parts[0] = testTag + " " + parts[0]
	}
	add := func(s string) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(r.path) > 1 {
		add(strings.Join(r.path, " → "))
	}
	if r.sev == event.Critical {
		add("critical")
	}
	for _, w := range where(&e.Data) {
		add(w)
	}
	if u := value(t.str("user_name")); u != "" {
		add("by " + u)
	}
	created, detected := t.time("created_at"), e.Data.DetectedAt
	if when := showTime(created, t.str("created_at"), detected); when != "" {
		if d := duration(created, t.time("updated_at"), now, detected, o.kind == event.OutcomeRunning); d.value != "" {
			when += " (" + d.value + ")"
		}
		add(when)
	}
	if o.kind != event.OutcomeSucceeded {
		if c := code(t.str("error_code")); c != "" {
			add("error " + c)
		}
	}
	if n := code(name); n != "" {
		add("task " + n)
	}
	if id := code(first(t.str("id"), e.Subject)); id != "" {
		add("id " + id)
	}
	return strings.Join(parts, " · ")
}
