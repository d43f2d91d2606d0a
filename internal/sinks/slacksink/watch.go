package slacksink

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"notifier/internal/event"
)

// renderWatch renders the events about what did not happen: a stuck task, a project the
// notifier could not read, and the end of that blind spot. ok is false for other events.
func renderWatch(e *event.Event, links []Link) (slack.WebhookMessage, bool) {
	d := &e.Data
	project := value(first(d.ProjectName, d.ProjectID))
	var headline, color string
	var facts []fact
	switch e.Type {
	case event.TypeStuck:
		t := parseTask(d.Task)
		name := first(d.TaskName, t.str("name"))
		headline = fmt.Sprintf("⏳ *%s stuck* · %s for %s (usually done within %s)", label(name),
			value(d.Status), showDuration(seconds(d.RunningSeconds)), showDuration(seconds(d.ThresholdSeconds)))
		color = running.color
		if d.Severity == event.Critical {
			color = failed.color
		}
		facts = []fact{
			{"Task", code(name)},
			{"Status", value(d.Status)},
			{"Running for", showDuration(seconds(d.RunningSeconds))},
			{"Threshold", showDuration(seconds(d.ThresholdSeconds)) + " (" + value(d.ThresholdSource) + ")"},
			{"Instance", instance(d)},
			{"Task id", code(first(t.str("id"), e.Subject))},
		}
	case event.TypeGap:
		headline = fmt.Sprintf("👁 *%s not watched* since %s", project, timeOfDay(d.BlindSince))
		if d.Reason != "" {
			headline += " (" + value(d.Reason) + ")"
		}
		color = running.color
		if d.Escalated {
			headline = "🔴 " + headline[len("👁 "):] + " · still blind"
			color = failed.color
		}
		facts = []fact{{"Blind since", fullTime(d.BlindSince)}, {"Cause", value(d.Reason)}}
	case event.TypeRestored:
		after := showDuration(seconds(d.BlindSeconds))
		if d.Complete != nil && *d.Complete {
			headline = fmt.Sprintf("👁 Watching *%s* again after %s — nothing missed", project, after)
			color = succeeded.color
		} else {
			headline = fmt.Sprintf("👁 Watching *%s* again after %s — changes during that time may have been missed", project, after)
			color = running.color
		}
		facts = []fact{{"Blind from", fullTime(d.BlindSince)}, {"Until", fullTime(d.BlindUntil)}}
	default:
		return slack.WebhookMessage{}, false
	}
	if e.Type == event.TypeStuck {
		if w := where(d); len(w) > 0 {
			headline += " · " + strings.Join(w, " · ")
		}
	} else if r := value(d.Region); r != "" {
		headline += " · " + r
	}
	facts = append(facts, fact{"Project", project}, fact{"Project id", code(d.ProjectID)}, fact{"Region", value(d.Region)})
	blocks := fieldSections(facts)
	if e.Type == event.TypeStuck {
		if b := buttons(e, first(parseTask(d.Task).str("id"), e.Subject), links); b != nil {
			blocks = append(blocks, b)
		}
	}
	blocks = append(blocks, slack.NewContextBlock("", mrkdwn(limit("Event "+code(e.ID), maxText))))
	return message(headline, color, blocks), true
}

func seconds(n int64) time.Duration { return time.Duration(n) * time.Second }

// timeOfDay is a time of day in UTC, for a headline.
func timeOfDay(t *time.Time) string {
	if t == nil {
		return "?"
	}
	return t.UTC().Format("15:04") + " UTC"
}

func fullTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(timeLayout)
}
