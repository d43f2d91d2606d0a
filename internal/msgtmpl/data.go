package msgtmpl

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"notifier/internal/event"
	"notifier/internal/incident"
)

// Data is what a template sees of one event: the CloudEvent as published, and what the
// built-in messages compute from it, computed the same way. docs/templates.md has the
// table; a test holds it to these fields.
type Data struct {
	// The CloudEvent's attributes.
	ID      string    // the event id
	Source  string    // /huaweicloud/dcs/{region}/projects/{project_id}
	Type    string    // com.huaweicloud.dcs.task.status_changed...
	Subject string    // the task id; the project id for a blind spot
	Time    time.Time // when the notifier saw it
	// Data is the event's data, by Go field name: .Data.RunningSeconds, .Data.BlindSince...
	Data event.Data
	// Task is the task object as the API returned it, by its own keys: .Task.user_name,
	// .Task.details.new_capacity. Empty for a blind spot.
	Task map[string]any

	Kind           string // created, status_changed, stuck, gap, restored or test
	TaskName       string // the task's API name, as the task center says it: masterStandbySwapJob
	TaskID         string // "" for a blind spot
	Status         string // FAILED, SUCCESS, RUNNING...
	PreviousStatus string
	Outcome        string // the status's outcome: running, succeeded, failed or ended; "" for a blind spot
	Label          string // the task named for people in the tense of its outcome, as Slack's headline: "Master/standby switchover succeeded"
	Severity       string // info, warning or critical
	ProjectID      string
	ProjectName    string // dcs.projects[].name, else the project id
	Region         string
	Instance       string // the instance's name, else its id; "" when the task names none
	InstanceID     string
	InstanceName   string
	ErrorCode      string // the task's error_code (when it did not succeed)
	ErrorMessage   string // the API's error message, when it gives one
	// Duration is how long the task took (finished) or has run (running; stuck), from its
	// created_at as the Slack facts count it, or how long the project was not read (a blind
	// spot). 0 when unknown.
	Duration time.Duration
	WasStuck bool   // a task that ends after its stuck event
	Links    []Link // [[slack.links]] that apply to the event, expanded
	Mute     string // the maintenance window the task started in, if one muted this receiver then
	Alert    string // on-call receivers: the incident, DCSTaskFailed, DCSTaskStuck, DCSSwitchover or DCSWatchGap
	Receiver string // the receiver's name
	Now      time.Time
}

// Link is a [[slack.links]] entry expanded for an event.
type Link struct{ Text, URL string }

// Env is what data needs beyond the event: the receiver's settings and the time.
type Env struct {
	Receiver string
	Statuses event.Statuses              // nil: event.DefaultStatuses
	Links    incident.Links              // compiled [[slack.links]]
	During   func(e *event.Event) string // maintenance window (receiver.Deps.During); nil: none
	Now      time.Time
}

// kinds are the short names of the event types.
var kinds = map[string]string{
	event.TypeCreated: "created", event.TypeStatusChanged: "status_changed", event.TypeStuck: "stuck",
	event.TypeGap: "gap", event.TypeRestored: "restored", event.TypeTest: "test",
}

// NewData is the data of e for a template.
func NewData(e *event.Event, env Env) *Data {
	st := env.Statuses
	if st == nil {
		st = event.DefaultStatuses()
	}
	d := &e.Data
	task := decodeTask(d.Task)
	name, status := first(d.TaskName, str(task["name"])), first(d.Status, str(task["status"]))
	x := &Data{
		ID: e.ID, Source: e.Source, Type: e.Type, Subject: e.Subject, Time: e.Time, Data: *d, Task: task,
		Kind: kinds[e.Type], TaskName: name, Status: status, PreviousStatus: d.PreviousStatus,
		Severity: string(d.Severity), ProjectID: d.ProjectID, ProjectName: first(d.ProjectName, d.ProjectID),
		Region: d.Region, Instance: first(d.InstanceName, d.InstanceID), InstanceID: d.InstanceID,
		InstanceName: d.InstanceName, WasStuck: d.WasStuck, Receiver: env.Receiver, Now: env.Now,
	}
	if x.Kind == "" {
		x.Kind = e.Type
	}
	blind := e.Type == event.TypeGap || e.Type == event.TypeRestored
	if !blind {
		x.TaskID = first(str(task["id"]), e.Subject)
		o := st.Outcome(status)
		if e.Type == event.TypeStuck {
			o = event.OutcomeRunning
		}
		x.Outcome = o.String()
		if strings.TrimSpace(name) != "" {
			x.Label = event.Phrase(name, o)
		}
		if o != event.OutcomeSucceeded {
			x.ErrorCode, x.ErrorMessage = event.TaskError(d.Task)
		}
	}
	x.Duration = duration(e, task, x.Outcome, env.Now)
	for _, l := range env.Links.For(e) {
		x.Links = append(x.Links, Link{Text: l.Text, URL: l.URL})
	}
	if env.During != nil && !e.IsTest() {
		x.Mute = env.During(e)
	}
	return x
}

// duration is Data.Duration: the rule of the Slack message's Duration and Running for
// facts for a task (no duration from a time later than the detection, never a negative
// one), the stuck event's running time, a blind spot's length.
func duration(e *event.Event, task map[string]any, outcome string, now time.Time) time.Duration {
	d := &e.Data
	switch e.Type {
	case event.TypeStuck:
		return time.Duration(d.RunningSeconds) * time.Second
	case event.TypeRestored:
		return time.Duration(d.BlindSeconds) * time.Second
	case event.TypeGap:
		if d.BlindSince != nil && !now.IsZero() && now.After(*d.BlindSince) {
			return round(now.Sub(*d.BlindSince))
		}
		return 0
	}
	created, updated := apiTime(task["created_at"]), apiTime(task["updated_at"])
	detected := d.DetectedAt
	later := func(t time.Time) bool { return !detected.IsZero() && t.After(detected) }
	running := outcome == event.OutcomeRunning.String()
	switch {
	case created.IsZero() || later(created) || !running && later(updated):
		return 0
	case running && !now.IsZero() && !now.Before(created):
		return round(now.Sub(created))
	case !running && !updated.IsZero() && !updated.Before(created):
		return round(updated.Sub(created))
	}
	return 0
}

func apiTime(v any) time.Time {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(str(v)))
	if err != nil {
		return time.Time{}
	}
	return t
}

// decodeTask decodes the task object, numbers as written; nil when it is not an object.
func decodeTask(raw json.RawMessage) map[string]any {
	if len(raw) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil {
		return nil
	}
	return m
}

// str is a scalar of the task as text: a string as it is, a number as written.
func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}

func first(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}
