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

// Summary is one line saying what the incident is, for a person paged at night:
// "DCS masterStandbySwapJob FAILED on instance redis-1 in prod-eu (cn-north-4)".
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
		s = fmt.Sprintf("DCS %s still %s after %s%s in %s", d.TaskName, d.Status, secs(d.RunningSeconds), on(d), where(d))
	case Switchover:
		s = fmt.Sprintf("DCS switchover %s%s in %s", strings.ToLower(d.Status), on(d), where(d))
	default:
		s = fmt.Sprintf("DCS %s %s%s in %s", d.TaskName, d.Status, on(d), where(d))
	}
	return clip(s, maxSummary)
}

// Description adds what a person needs next: the task id, since when, why.
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
		parts = append(parts, "task "+e.Subject+" ("+d.TaskName+") is "+d.Status)
		if d.PreviousStatus != "" {
			parts = append(parts, "was "+d.PreviousStatus)
		}
		if alert == Stuck {
			parts = append(parts, fmt.Sprintf("running %s, threshold %s (%s)", secs(d.RunningSeconds), secs(d.ThresholdSeconds), d.ThresholdSource))
		}
	}
	parts = append(parts, "project "+d.ProjectID+" in "+d.Region, "event "+e.ID)
	return clip(strings.Join(parts, "; "), 4*maxSummary)
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
