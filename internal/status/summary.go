package status

import (
	"strconv"

	"notifier/internal/event"
)

// summarize is what the page shows of an event, without its deliveries.
func summarize(e *event.Event) Event {
	d := &e.Data
	s := Event{
		ID: e.ID, Time: e.Time, ProjectID: d.ProjectID, Project: d.ProjectName, Type: e.Type,
		Severity: string(d.Severity), Transition: transition(e),
	}
	if s.Project == "" {
		s.Project = d.ProjectID
	}
	switch e.Type {
	case event.TypeGap, event.TypeRestored:
	default:
		s.TaskID, s.TaskName, s.Status = e.Subject, d.TaskName, d.Status
		if d.TaskName != "" {
			s.Label = event.LabelOf(d.TaskName, d.Status)
		}
	}
	return s
}

// transition says in a few words what happened, from the event's fields alone.
func transition(e *event.Event) string {
	d := &e.Data
	switch e.Type {
	case event.TypeCreated:
		return "new: " + d.Status
	case event.TypeStatusChanged:
		return d.PreviousStatus + " → " + d.Status
	case event.TypeStuck:
		return "stuck in " + d.Status + " for " + Duration(d.RunningSeconds) +
			" (threshold " + Duration(d.ThresholdSeconds) + ", " + d.ThresholdSource + ")"
	case event.TypeGap:
		s := "not watched"
		if d.BlindSince != nil {
			s += " since " + d.BlindSince.UTC().Format("15:04 UTC")
		}
		if d.Reason != "" {
			s += " (" + d.Reason + ")"
		}
		if d.Escalated {
			s += ", escalated"
		}
		return s
	case event.TypeRestored:
		s := "watching again after " + Duration(d.BlindSeconds)
		if d.Complete != nil && !*d.Complete {
			s += ", changes may have been missed"
		}
		return s
	case event.TypeTest:
		return "test"
	}
	return d.Status
}

// Duration renders whole seconds as a short duration: "45s", "12m", "3h5m", "2d4h".
func Duration(seconds int64) string {
	s := max(seconds, 0)
	switch {
	case s < 60:
		return strconv.FormatInt(s, 10) + "s"
	case s < 3600:
		return strconv.FormatInt(s/60, 10) + "m"
	case s < 48*3600:
		return pair(s/3600, "h", s%3600/60, "m")
	}
	return pair(s/86400, "d", s%86400/3600, "h")
}

func pair(a int64, ua string, b int64, ub string) string {
	out := strconv.FormatInt(a, 10) + ua
	if b > 0 {
		out += strconv.FormatInt(b, 10) + ub
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
