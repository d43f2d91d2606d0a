package incident

import (
	"fmt"
	"strings"
	"time"

	"notifier/internal/event"
)

// maxSummary is PagerDuty's limit on payload.summary, in bytes; Alertmanager's summary
// annotation keeps to it too.
const maxSummary = 1024

// Summary is one line saying what the incident is, for a person paged at night, in the
// words Slack uses (event.Phrase, the one label table): "DCS: Master/standby switchover
// failed on instance redis-1 in prod-eu (cn-north-4)". The task's API name is in the
// Description.
func Summary(e *event.Event, alert string) string {
	d := &e.Data
	var s string
	switch alert {
	case Gap:
		s = fmt.Sprintf("DCS notifier cannot read project %s", where(d))
		if d.Escalated {
			s += " (still)"
		}
	case Stuck:
		s = fmt.Sprintf("DCS: %s stuck, still %s after %s%s in %s", phrase(d.TaskName, event.OutcomeRunning), d.Status, secs(d.RunningSeconds), on(d), where(d))
	case Switchover:
		s = fmt.Sprintf("DCS: %s %s%s in %s", phrase(d.TaskName, event.OutcomeRunning), runningWord(e), on(d), where(d))
	default:
		s = fmt.Sprintf("DCS: %s%s in %s", phrase(d.TaskName, event.OutcomeFailed), on(d), where(d))
	}
	return clip(s, maxSummary)
}

// phrase is the task's label in the tense of o; a task without a name is "Task".
func phrase(name string, o event.Outcome) string {
	if strings.TrimSpace(name) == "" {
		name = "Task"
	}
	return event.Phrase(name, o)
}

// runningWord says where a running task stands: "started" when it was first seen running
// (as a Slack headline says it), else its status in lower case.
func runningWord(e *event.Event) string {
	st := strings.ToUpper(strings.TrimSpace(e.Data.Status))
	if e.Type == event.TypeCreated && (st == "RUNNING" || st == "EXECUTING") || st == "" {
		return "started"
	}
	return strings.ToLower(st)
}

// The longest error code and message an incident carries: the API's text is of no
// bounded length, and every update and re-send carries it.
const (
	maxErrorCode    = 64
	maxErrorMessage = maxSummary
)

// TaskError is the error code and message a task carries (event.TaskError), cut to 64
// and 1024 bytes, for the on-call receivers to show on a failed task.
func TaskError(e *event.Event) (code, message string) {
	code, message = event.TaskError(e.Data.Task)
	return clip(code, maxErrorCode), clip(message, maxErrorMessage)
}

// Description adds what a person needs next: the task's API name ("Task:
// masterStandbySwapJob", the name task_names filters and NATS subjects use), its id and
// status, since when, and, for a failed task, the error code and message the API gave.
func Description(e *event.Event, alert string) string {
	d := &e.Data
	var parts []string
	if alert == Gap {
		if d.BlindSince != nil {
			parts = append(parts, "not read since "+d.BlindSince.UTC().Format(time.RFC3339))
		}
		if d.Reason != "" {
			parts = append(parts, "last error: "+d.Reason)
		}
	} else {
		if d.TaskName != "" {
			parts = append(parts, "Task: "+d.TaskName)
		}
		parts = append(parts, "task "+e.Subject+" is "+d.Status)
		if d.PreviousStatus != "" {
			parts = append(parts, "was "+d.PreviousStatus)
		}
		if d.UnseenStatuses { // first seen finished: its start was never seen
			parts = append(parts, "started and ended between two polls")
		}
		if alert == Stuck {
			parts = append(parts, fmt.Sprintf("running %s, threshold %s (%s)", secs(d.RunningSeconds), secs(d.ThresholdSeconds), d.ThresholdSource))
		}
		if alert == Failed {
			if s := errorText(e); s != "" {
				parts = append(parts, s)
			}
		}
	}
	parts = append(parts, "project "+d.ProjectID+" in "+d.Region, "event "+e.ID)
	return clip(strings.Join(parts, "; "), 4*maxSummary)
}

// errorText is the error a task carries (TaskError), as a description says it: "error
// code 111400063: invalid parameter", "" when it has none.
func errorText(e *event.Event) string {
	code, msg := TaskError(e)
	switch {
	case code != "" && msg != "":
		return "error code " + code + ": " + msg
	case code != "":
		return "error code " + code
	case msg != "":
		return "error: " + msg
	}
	return ""
}

// Source is where the incident is, as PagerDuty's payload.source wants it: the instance
// when the task names it, else the project.
func Source(e *event.Event) string {
	if e.Data.InstanceID != "" {
		return e.Data.InstanceID
	}
	return "dcs/" + e.Data.Region + "/" + e.Data.ProjectID
}

func on(d *event.Data) string {
	switch {
	case d.InstanceName != "":
		return " on instance " + d.InstanceName
	case d.InstanceID != "":
		return " on instance " + d.InstanceID
	}
	return ""
}

func where(d *event.Data) string {
	name := d.ProjectName
	if name == "" {
		name = d.ProjectID
	}
	return name + " (" + d.Region + ")"
}

func secs(s int64) string { return (time.Duration(s) * time.Second).String() }

// clip shortens s to at most n bytes, on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = strings.ToValidUTF8(s[:n-3], "")
	return s + "..."
}
