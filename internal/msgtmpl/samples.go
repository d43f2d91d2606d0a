package msgtmpl

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"notifier/internal/event"
)

// Project is the project a sample event is about.
type Project struct{ ID, Name, Region string }

// sample is a built-in event for notifier template render --sample.
type sample struct {
	name, about string
	make        func(p Project, now time.Time) event.Event
}

// samples are the built-in events, in the order help lists them.
var samples = []sample{
	{"switchover-started", "a master/standby switchover seen running", func(p Project, now time.Time) event.Event {
		return taskEvent(p, now, "RUNNING", "", nil)
	}},
	{"switchover-succeeded", "a switchover that succeeded after 38s", func(p Project, now time.Time) event.Event {
		return taskEvent(p, now, "SUCCESS", "RUNNING", nil)
	}},
	{"switchover-failed", "a switchover that failed, with the API's error code and message", func(p Project, now time.Time) event.Event {
		return taskEvent(p, now, "FAILED", "RUNNING", map[string]any{"error_code": "111400063", "error_msg": "The master/standby switchover failed."})
	}},
	{"stuck", "a switchover still running 45m after it started (threshold 15m)", func(p Project, now time.Time) event.Event {
		e := event.NewStuck(event.Stuck{ProjectID: p.ID, Region: p.Region, TaskID: sampleTaskID, TaskName: event.SwitchoverTask,
			Status: "RUNNING", Task: sampleTask(now.Add(-45*time.Minute), time.Time{}, "RUNNING", nil),
			Running: 45 * time.Minute, Threshold: 15 * time.Minute, Source: event.ThresholdConfigured, DetectedAt: now})
		e.Data.ProjectName = p.Name
		e.Data.InstanceID, e.Data.InstanceName = event.Instance(e.Data.Task)
		return e
	}},
	{"gap", "a project not read for 10m (a blind spot)", func(p Project, now time.Time) event.Event {
		return event.NewGap(event.Gap{ProjectID: p.ID, ProjectName: p.Name, Region: p.Region, BlindSince: now.Add(-10 * time.Minute),
			Reason: "HTTP 503 from the DCS API", DetectedAt: now})
	}},
	{"restored", "the same project read again after 25m, nothing missed", func(p Project, now time.Time) event.Event {
		return event.NewRestored(event.Restored{ProjectID: p.ID, ProjectName: p.Name, Region: p.Region,
			BlindSince: now.Add(-25 * time.Minute), BlindUntil: now, Complete: true, DetectedAt: now})
	}},
	{"test", "the event of notifier test-notification", func(p Project, now time.Time) event.Event {
		return event.NewTest(p.Region, p.ID, p.Name, now)
	}},
}

// The sample task's id and instance.
const (
	sampleTaskID       = "ff8080819a5f2a3b019a6c1d2e3f4a5b"
	sampleInstanceID   = "2f4b9e2c-8d6a-4a51-9d3e-1c7a5b3e9f10"
	sampleInstanceName = "redis-orders-prod"
)

// SampleNames lists the built-in events, "name  what it is" each, for help and for the
// error naming an unknown one.
func SampleNames() []string {
	out := make([]string, len(samples))
	for i, s := range samples {
		out[i] = fmt.Sprintf("%-21s %s", s.name, s.about)
	}
	return out
}

// Sample is the built-in event called name, about project p, detected at now.
func Sample(name string, p Project, now time.Time) (event.Event, error) {
	for _, s := range samples {
		if s.name == name {
			return s.make(p, now.UTC()), nil
		}
	}
	names := make([]string, len(samples))
	for i, s := range samples {
		names[i] = s.name
	}
	return event.Event{}, fmt.Errorf("unknown sample %q (known: %s)", name, strings.Join(names, ", "))
}

// taskEvent is a switchover's event in status, coming from previous ("": its first
// sighting), with more fields in its task.
func taskEvent(p Project, now time.Time, status, previous string, more map[string]any) event.Event {
	created, updated := now.Add(-40*time.Second), time.Time{}
	if previous != "" {
		updated = now.Add(-2 * time.Second)
	}
	var seq uint32 = 1
	if previous != "" {
		seq = 2
	}
	task := sampleTask(created, updated, status, more)
	e := event.New(event.Transition{ProjectID: p.ID, Region: p.Region, TaskID: sampleTaskID, TaskName: event.SwitchoverTask,
		Status: status, PreviousStatus: previous, Created: previous == "", Seq: seq, Task: task, DetectedAt: now})
	e.Data.ProjectName = p.Name
	e.Data.InstanceID, e.Data.InstanceName = event.Instance(task)
	return e
}

// sampleTask is the task object of the sample switchover, as the API lists one.
func sampleTask(created, updated time.Time, status string, more map[string]any) json.RawMessage {
	t := map[string]any{
		"id": sampleTaskID, "name": event.SwitchoverTask, "status": status, "user_name": "ops-admin",
		"user_id": "0a1b2c3d4e5f", "instance_id": sampleInstanceID, "instance_name": sampleInstanceName,
		"created_at": created.UTC().Format("2006-01-02T15:04:05.000Z"), "enable_show": true,
	}
	if !updated.IsZero() {
		t["updated_at"] = updated.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	for k, v := range more {
		t[k] = v
	}
	b, _ := json.Marshal(t) // strings and booleans: cannot fail
	return b
}
