package alertmanager

import (
	"encoding/json"
	"maps"
	"time"
	"unicode/utf8"

	"notifier/internal/event"
	"notifier/internal/incident"
	"notifier/internal/sinks"
)

// Alert is a postableAlert of Alertmanager's API v2.
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       *time.Time        `json:"endsAt,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// ended is a copy of a that ends at now: a resolution.
func (a Alert) ended(now time.Time) Alert {
	a.EndsAt = &now
	return a
}

// lastsFor is how many resend_intervals an active alert lasts in Alertmanager without
// a re-send, as Prometheus does: it outlives a restart of the notifier and a few lost
// re-sends, whatever Alertmanager's resolve_timeout, and still ends by itself when the
// notifier is gone for good.
const lastsFor = 4

// active is a copy of a as sent while it is active at now: it ends lastsFor
// resend_intervals later unless re-sent. The remembered alert has no endsAt.
func (a Alert) active(now time.Time, resend time.Duration) Alert {
	end := now.Add(lastsFor * resend)
	a.EndsAt = &end
	return a
}

func sameLabels(a, b map[string]string) bool { return maps.Equal(a, b) }

// stored is what the Sink remembers of an active alert: the incident (which Decide
// reads) and the alert as it re-sends it.
type stored struct {
	incident.Open
	Alert Alert `json:"am"`
}

func decode(v string) (stored, bool) {
	var st stored
	if json.Unmarshal([]byte(v), &st) != nil || st.Open.Key == "" || len(st.Alert.Labels) == 0 {
		return stored{}, false
	}
	return st, true
}

func recall(mem sinks.Memory, project, key string) (stored, bool) {
	v, ok := mem.Recall(project, key)
	if !ok {
		return stored{}, false
	}
	return decode(v)
}

// alert is the alert of the incident o, from e.
func (s *Sink) alert(e *event.Event, o *incident.Open) Alert {
	d := &e.Data
	labels := map[string]string{"alertname": o.Alert, "severity": string(d.Severity), "project_id": d.ProjectID, "region": d.Region}
	for k, v := range map[string]string{"project_name": d.ProjectName, "task_name": o.TaskName, "task_id": o.TaskID, "instance_id": o.Instance} {
		if v != "" {
			labels[k] = v
		}
	}
	a := Alert{Labels: labels, StartsAt: o.Since.UTC(),
		Annotations: map[string]string{"summary": incident.Summary(e, o.Alert), "description": incident.Description(e, o.Alert)}}
	s.shape(a.Annotations, e, o.Alert)
	if o.Alert == incident.Failed {
		addTaskError(&a, d.Task)
	}
	if ls := s.links.For(e); len(ls) > 0 {
		a.GeneratorURL = ls[0].URL
	}
	return a
}

// drillFor is how long a test alert lasts: it ends by itself.
const drillFor = 5 * time.Minute

// drill is the alert of a test event.
func drill(e *event.Event, now time.Time) Alert {
	end := now.Add(drillFor)
	labels := map[string]string{"alertname": "DCSNotifierTest", "severity": "info", "project_id": e.Data.ProjectID, "region": e.Data.Region}
	return Alert{Labels: labels, StartsAt: now, EndsAt: &end, Annotations: map[string]string{
		"summary":     "[TEST] Test notification from dcs-notifier: nothing needs doing, it ends by itself in 5m",
		"description": "sent by notifier test-notification; event " + e.ID,
	}}
}

// The longest error_code label and error_message annotation sent: a task's text is the
// API's, of no bounded length, and every re-send carries it.
const (
	maxErrorCode    = 64
	maxErrorMessage = 1024
)

// addTaskError puts the error a failed task carries on its alert: error_code as a label,
// to route or silence by, and the API's message as an annotation, when the task has them.
// The description says both already (incident.Description).
func addTaskError(a *Alert, task []byte) {
	code, msg := event.TaskError(task)
	if code != "" {
		a.Labels["error_code"] = cut(code, maxErrorCode)
	}
	if msg != "" {
		a.Annotations["error_message"] = cut(msg, maxErrorMessage)
	}
}

// cut shortens s to at most n bytes on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
