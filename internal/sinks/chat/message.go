package chat

import (
	"fmt"
	"strings"
	"time"

	"notifier/internal/event"
	"notifier/internal/msgtmpl"
)

// Outcome is what a message is about, as its colour says it.
type Outcome string

// The outcomes a message is coloured by.
const (
	Failed    Outcome = "failed"
	Succeeded Outcome = "succeeded"
	Running   Outcome = "running"
	Ended     Outcome = "ended"
	Stuck     Outcome = "stuck"
	Gap       Outcome = "gap"
	Restored  Outcome = "restored"
	Test      Outcome = "test"
)

// rank orders outcomes by how much they need a person, most first: a digest takes the
// colour of its worst.
func (o Outcome) rank() int {
	switch o {
	case Failed:
		return 0
	case Gap:
		return 1
	case Stuck:
		return 2
	case Running:
		return 3
	case Ended:
		return 4
	case Test:
		return 5
	case Restored:
		return 6
	}
	return 7
}

// Fact is one line of a message: "Task: masterStandbySwapJob".
type Fact struct{ Name, Value string }

// Message is one event told for a group chat, or a digest of many, whatever the kind:
// each kind writes it in its own format (a Feishu card, a DingTalk actionCard, WeCom
// markdown).
type Message struct {
	Title   string // the label: "Master/standby switchover failed"; "[TEST] ..." for a test
	Outcome Outcome
	Facts   []Fact         // in order; empty values are left out
	Lines   []string       // a digest's lines, one per event
	Links   []msgtmpl.Link // buttons: slack.links expanded for the event
	// Body is the template's "body" part, which replaces the facts; "" when none.
	Body   string
	Digest int // how many events a digest tells of; 0 for one event
}

// testTag starts a test notification's title, as Slack's does.
const testTag = "[TEST]"

// Build is the message of e: its label, its facts (the task's API name, status, where,
// when, a failed task's error code and message), its links. d is the template data of e
// (msgtmpl.NewData), which the built-in text reads as a template would.
func Build(e *event.Event, d *msgtmpl.Data) Message {
	m := Message{Links: d.Links}
	add := func(name, v string) {
		if v = strings.TrimSpace(v); v != "" {
			m.Facts = append(m.Facts, Fact{name, v})
		}
	}
	where := d.ProjectName + " (" + d.Region + ")"
	switch e.Type {
	case event.TypeGap:
		m.Title, m.Outcome = "DCS notifier cannot read project "+where, Gap
		if e.Data.Escalated {
			m.Title += " (still)"
		}
		if s := e.Data.BlindSince; s != nil {
			add("Not read since", s.UTC().Format(time.RFC3339))
		}
		add("Last error", e.Data.Reason)
	case event.TypeRestored:
		m.Title, m.Outcome = "DCS notifier reads project "+where+" again", Restored
		if d.Duration > 0 {
			add("Not read for", d.Duration.String())
		}
		if c := e.Data.Complete; c != nil && !*c {
			add("Missed", "tasks may have started and ended unseen")
		}
	case event.TypeTest:
		m.Title, m.Outcome = testTag+" Test notification from the DCS notifier", Test
		add("Receiver", d.Receiver)
	default:
		m.Title, m.Outcome = title(e, d)
	}
	if e.Type != event.TypeGap && e.Type != event.TypeRestored && e.Type != event.TypeTest {
		add("Task", d.TaskName)
		status := d.Status
		if d.PreviousStatus != "" && d.PreviousStatus != d.Status {
			status = d.PreviousStatus + " → " + d.Status
		}
		add("Status", status)
		add("Instance", d.Instance)
		if e.Type == event.TypeStuck {
			add("Running", (time.Duration(e.Data.RunningSeconds) * time.Second).String())
			add("Threshold", fmt.Sprintf("%s (%s)", time.Duration(e.Data.ThresholdSeconds)*time.Second, e.Data.ThresholdSource))
		} else if d.Duration > 0 {
			add("Duration", d.Duration.String())
		}
		add("Error code", d.ErrorCode)
		add("Error message", d.ErrorMessage)
		add("Task id", d.TaskID)
	}
	if e.Type != event.TypeGap && e.Type != event.TypeRestored {
		add("Project", where)
	}
	add("Maintenance window", d.Mute)
	add("Severity", d.Severity)
	add("Event", e.ID)
	return m
}

// title is a task event's label and outcome: "Master/standby switchover failed",
// "Master/standby switchover started", "... stuck".
func title(e *event.Event, d *msgtmpl.Data) (string, Outcome) {
	label := d.Label
	if label == "" {
		label = "Task " + strings.ToLower(first(d.Status, "of unknown status"))
	}
	switch {
	case e.Type == event.TypeStuck:
		return event.Label(first(d.TaskName, "Task")) + " stuck", Stuck
	case d.Outcome == "failed":
		return label, Failed
	case d.Outcome == "succeeded":
		return label, Succeeded
	case d.Outcome == "ended":
		return label + " " + strings.ToLower(d.Status), Ended
	}
	if e.Type == event.TypeCreated {
		return label + " started", Running
	}
	return label + " " + strings.ToLower(d.Status), Running
}

func first(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}

// digestLines bounds a digest's lines: past a screenful nobody reads on.
const digestLines = 30

// Digest is one message for many events: a line each (its title, the task's API name,
// where, a failure's error code), the worst outcome's colour, "… and N more" past 30.
func Digest(msgs []Message) Message {
	d := Message{Outcome: Succeeded, Digest: len(msgs)}
	counts := map[Outcome]int{}
	var order []Outcome
	for _, m := range msgs {
		if m.Outcome.rank() < d.Outcome.rank() {
			d.Outcome = m.Outcome
		}
		if counts[m.Outcome] == 0 {
			order = append(order, m.Outcome)
		}
		counts[m.Outcome]++
		if len(d.Lines) < digestLines {
			d.Lines = append(d.Lines, digestLine(m))
		}
	}
	if n := len(msgs) - len(d.Lines); n > 0 {
		d.Lines = append(d.Lines, fmt.Sprintf("… and %d more", n))
	}
	var parts []string
	for _, o := range order {
		parts = append(parts, fmt.Sprintf("%d %s", counts[o], o))
	}
	d.Title = fmt.Sprintf("%d DCS events: %s", len(msgs), strings.Join(parts, ", "))
	return d
}

// digestLine is one event in a digest: its title and its main facts.
func digestLine(m Message) string {
	parts := []string{m.Title}
	for _, f := range m.Facts {
		switch f.Name {
		case "Task", "Instance", "Error code":
			parts = append(parts, f.Name+": "+f.Value)
		}
	}
	return strings.Join(parts, " · ")
}
