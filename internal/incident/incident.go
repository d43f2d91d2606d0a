// Package incident holds the lifecycle decisions the on-call receivers (PagerDuty and
// Alertmanager) share: which incident an event is about, whether it opens or keeps one
// open, and which of the incidents a receiver opened it ends. It is pure: what a
// receiver opened is handed in (a View over its sinks.Memory), and the receiver does the
// sending and the remembering.
package incident

import (
	"encoding/json"
	"time"

	"notifier/internal/event"
)

// The kinds of incident, named as Alertmanager's alertname label.
const (
	Failed     = "DCSTaskFailed" // a task finished in a failure status
	Stuck      = "DCSTaskStuck"  // a task still running past its stuck threshold
	Switchover = "DCSSwitchover" // a master/standby switchover running
	Gap        = "DCSWatchGap"   // a project the notifier cannot read
)

// Alerts lists the kinds of incident.
var Alerts = []string{Failed, Stuck, Switchover, Gap}

// Key returns the dedup key of the incident an event is about: dcs/{project_id}/{task_id}
// for a task event, dcs/{project_id}/watch for a gap or restored event, "" for anything
// else (a test event).
func Key(e *event.Event) string {
	switch {
	case e.Type == event.TypeGap || e.Type == event.TypeRestored:
		return "dcs/" + e.Data.ProjectID + "/watch"
	case isTask(e) && e.Subject != "":
		return "dcs/" + e.Data.ProjectID + "/" + e.Subject
	}
	return ""
}

// isTask reports whether e is about a task: created, status changed or stuck.
func isTask(e *event.Event) bool {
	return e.Type == event.TypeCreated || e.Type == event.TypeStatusChanged || e.Type == event.TypeStuck
}

// Open is an incident a receiver opened and has not resolved, as it remembers it.
type Open struct {
	Key      string    `json:"key"`   // the dedup key
	Alert    string    `json:"alert"` // Failed, Stuck, Switchover or Gap
	Since    time.Time `json:"since"` // when it was opened: Alertmanager's startsAt
	TaskID   string    `json:"task_id,omitempty"`
	TaskName string    `json:"task_name,omitempty"`
	Instance string    `json:"instance_id,omitempty"` // when the task says
}

// Decode reads an Open as a receiver remembered it (the receiver may have stored more
// fields in the same object); false for a value that is not one.
func Decode(v string) (Open, bool) {
	var o Open
	if json.Unmarshal([]byte(v), &o) != nil || o.Key == "" || o.Alert == "" {
		return Open{}, false
	}
	return o, true
}

// View is what a receiver opened, in the project of the event being decided.
type View interface {
	// Opened returns the open incidents under a dedup key.
	Opened(key string) []Open
	// All returns every open incident of the project; called only for a success that
	// may end the failures of earlier tries.
	All() []Open
}

// Plan is what one event does to one receiver's incidents: Open, when set, is to be
// triggered (or updated, when already open); each of Close is to be resolved. An Open
// and a Close may share a key (a stuck task that failed: the stuck alert ends, the
// failed one opens); a receiver with one incident per key resolves only the keys that
// are not opened again.
type Plan struct {
	Open  *Open
	Close []Open
}

// Empty reports whether the plan does nothing.
func (p Plan) Empty() bool { return p.Open == nil && len(p.Close) == 0 }

// Decide returns what e does to a receiver's incidents. match says whether the
// receiver's filter passed e: only a matching event opens an incident, but an event
// about a task or a project with an open incident continues it whatever its severity,
// and ends it when it is over. st tells finished tasks from running ones
// (poll.terminal_statuses).
//
//   - a gap event opens Gap; a restored event ends it;
//   - a stuck event opens Stuck; a running switchover opens Switchover;
//   - a task that finished failed ends its Stuck and Switchover and opens Failed;
//   - a task that succeeded, or ended otherwise (CANCELLED, DELETED), ends every
//     incident of its key; a success also ends the Failed incidents of earlier tasks of
//     the same name on the same instance (a retry), when the instance is known.
func Decide(e *event.Event, match bool, st event.Statuses, v View) Plan {
	key := Key(e)
	if key == "" {
		return Plan{}
	}
	opened := v.Opened(key)
	open := func(alert string) *Open {
		if !match && len(opened) == 0 {
			return nil
		}
		return newOpen(e, key, alert, opened)
	}
	switch e.Type {
	case event.TypeRestored:
		return Plan{Close: opened}
	case event.TypeGap:
		return Plan{Open: open(Gap)}
	case event.TypeStuck:
		return Plan{Open: open(Stuck)}
	}
	switch st.Outcome(e.Data.Status) {
	case event.OutcomeRunning:
		if e.Data.TaskName == event.SwitchoverTask {
			return Plan{Open: open(Switchover)}
		}
		return Plan{}
	case event.OutcomeFailed:
		var p Plan
		for _, o := range opened {
			if o.Alert != Failed {
				p.Close = append(p.Close, o)
			}
		}
		p.Open = open(Failed)
		return p
	}
	p := Plan{Close: opened}
	if st.Outcome(e.Data.Status) == event.OutcomeSucceeded {
		p.Close = append(p.Close, retried(e, key, v)...)
	}
	return p
}

// newOpen is the incident e opens or updates under key; it keeps the time an incident of
// the same kind was first opened.
func newOpen(e *event.Event, key, alert string, opened []Open) *Open {
	o := &Open{Key: key, Alert: alert, Since: e.Time.UTC(), TaskName: e.Data.TaskName, Instance: e.Data.InstanceID}
	if isTask(e) {
		o.TaskID = e.Subject
	}
	for _, old := range opened {
		if old.Alert == alert && !old.Since.IsZero() && old.Since.Before(o.Since) {
			o.Since = old.Since
		}
	}
	return o
}

// retried returns the Failed incidents of other tasks of e's name on e's instance: the
// earlier tries that e, a success, retried.
func retried(e *event.Event, key string, v View) []Open {
	inst, name := e.Data.InstanceID, e.Data.TaskName
	if inst == "" || name == "" {
		return nil
	}
	var out []Open
	for _, o := range v.All() {
		if o.Alert == Failed && o.Key != key && o.TaskName == name && o.Instance == inst {
			out = append(out, o)
		}
	}
	return out
}

// Concerns reports whether e may end or continue an incident that a receiver opened even
// when its filter refuses e: a task event in a terminal status, or a restored event. The
// routing gives such events to the on-call receivers whatever their filters, and Decide
// finds out, from what the receiver remembers, whether they end anything.
func Concerns(e *event.Event, st event.Statuses) bool {
	if e.Type == event.TypeRestored {
		return true
	}
	return (e.Type == event.TypeCreated || e.Type == event.TypeStatusChanged) && st.IsTerminal(e.Data.Status)
}
