package pagerduty

import (
	"context"
	"time"

	"notifier/internal/event"
	"notifier/internal/incident"
)

// Event is an Events API v2 event, as POSTed to /v2/enqueue.
type Event struct {
	RoutingKey  string   `json:"routing_key"`
	EventAction string   `json:"event_action"` // trigger or resolve
	DedupKey    string   `json:"dedup_key"`
	Payload     *Payload `json:"payload,omitempty"` // a trigger's
	Links       []Link   `json:"links,omitempty"`
	Client      string   `json:"client,omitempty"`
}

// Payload is what a trigger says about the incident.
type Payload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"` // critical, error, warning or info
	Timestamp     string         `json:"timestamp,omitempty"`
	Component     string         `json:"component,omitempty"`
	Group         string         `json:"group,omitempty"`
	Class         string         `json:"class,omitempty"`
	CustomDetails map[string]any `json:"custom_details,omitempty"`
}

// Link is a link shown on the incident.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

// client names the notifier on every incident.
const client = "dcs-notifier"

// severity maps the notifier's severities onto PagerDuty's, which include all three.
func severity(s event.Severity) string {
	switch s {
	case event.Critical, event.Warning:
		return string(s)
	}
	return "info"
}

func (s *Sink) resolve(key string) *Event {
	return &Event{RoutingKey: s.key.Reveal(), EventAction: "resolve", DedupKey: key}
}

func (s *Sink) trigger(e *event.Event, o *incident.Open) *Event {
	d := &e.Data
	group := d.ProjectName
	if group == "" {
		group = d.ProjectID
	}
	component := d.TaskName
	if o.Alert == incident.Gap {
		component = "watch"
	}
	summary, more := s.shaped(e, o.Alert, incident.Summary(e, o.Alert))
	ev := &Event{RoutingKey: s.key.Reveal(), EventAction: "trigger", DedupKey: o.Key, Client: client,
		Payload: &Payload{
			Summary: summary, Source: incident.Source(e), Severity: severity(d.Severity),
			Timestamp: e.Time.UTC().Format(time.RFC3339), Component: component, Group: group, Class: o.Alert,
			CustomDetails: details(e, o),
		}}
	addDetails(ev.Payload.CustomDetails, more)
	for _, l := range s.links.For(e) {
		ev.Links = append(ev.Links, Link{Href: l.URL, Text: l.Text})
	}
	return ev
}

// details are the event's facts, those that are set: task_name is the task's API name
// (masterStandbySwapJob), and a failed task adds the error_code and error_message the
// API gave.
func details(e *event.Event, o *incident.Open) map[string]any {
	d := &e.Data
	m := map[string]any{
		"description": incident.Description(e, o.Alert), "event_id": e.ID, "event_type": e.Type,
		"project_id": d.ProjectID, "region": d.Region, "since": o.Since.UTC().Format(time.RFC3339),
	}
	for k, v := range map[string]string{
		"project_name": d.ProjectName, "task_id": o.TaskID, "task_name": d.TaskName, "status": d.Status,
		"previous_status": d.PreviousStatus, "instance_id": d.InstanceID, "instance_name": d.InstanceName,
		"reason": d.Reason,
	} {
		if v != "" {
			m[k] = v
		}
	}
	if d.RunningSeconds > 0 {
		m["running_seconds"], m["threshold_seconds"] = d.RunningSeconds, d.ThresholdSeconds
	}
	if o.Alert == incident.Failed {
		code, msg := incident.TaskError(e)
		if code != "" {
			m["error_code"] = code
		}
		if msg != "" {
			m["error_message"] = msg
		}
	}
	if d.UnseenStatuses { // started and ended between two polls: its start was never seen
		m["unseen_statuses"] = true
	}
	return m
}

// drill sends a test event as a trigger and at once its resolve: the integration is
// proven and no incident stays open.
func (s *Sink) drill(ctx context.Context, e *event.Event) error {
	key := "dcs/" + e.Data.ProjectID + "/test/" + e.ID
	summary, more := s.shaped(e, "test", "[TEST] Test notification from dcs-notifier: nothing needs doing, it resolves by itself")
	trig := &Event{RoutingKey: s.key.Reveal(), EventAction: "trigger", DedupKey: key, Client: client,
		Payload: &Payload{
			Summary:  summary,
			Source:   "dcs/" + e.Data.Region + "/" + e.Data.ProjectID,
			Severity: "info", Timestamp: e.Time.UTC().Format(time.RFC3339), Component: "notifier", Class: "test",
			CustomDetails: map[string]any{"event_id": e.ID, "event_type": e.Type, "project_id": e.Data.ProjectID},
		}}
	addDetails(trig.Payload.CustomDetails, more)
	if err := s.post(ctx, trig); err != nil {
		return err
	}
	return s.post(ctx, s.resolve(key))
}
