package status

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"notifier/internal/event"
	"notifier/internal/retry"
	"notifier/internal/sinks"
)

func testEvent(id string) *event.Event {
	return &event.Event{ID: id, Type: event.TypeStatusChanged, Subject: "task-" + id, Time: time.Now(),
		Data: event.Data{ProjectID: "p", TaskName: event.SwitchoverTask, Status: "FAILED", PreviousStatus: "RUNNING", Severity: event.Critical}}
}

func states(e Event) string {
	out := ""
	for _, d := range e.Deliveries {
		out += fmt.Sprintf("%s:%s%s ", d.Receiver, d.State, map[bool]string{true: "(" + d.Reason + ")"}[d.Reason != ""])
	}
	return out
}

// queued is the routing of an event queued for each receiver named.
func queued(names ...string) []Route {
	out := make([]Route, len(names))
	for i, n := range names {
		out[i] = Route{Receiver: n, Queued: true}
	}
	return out
}

// An event is pending for the receivers it was routed to, and the others show what held
// it (a receiver the routing said nothing of is not listed); deliveries and drops mark
// it, and update each receiver's last success and error.
func TestRecorderFollowsEachDelivery(t *testing.T) {
	r := NewRecorder(10)
	const refused = `task_names [EXTEND] do not include "masterStandbySwapJob"`
	r.Routed(testEvent("a"), append(queued("nats", "oncall"), Route{Receiver: "team", State: Filtered, Reason: refused},
		Route{Receiver: "unknown"}), time.Now())
	if got := states(r.Recent()[0]); got != "nats:pending oncall:pending team:filtered("+refused+") " {
		t.Fatalf("after commit: %s", got)
	}
	at := time.Now()
	r.Delivery(sinks.Result{Sink: "nats", Outcome: "ok", IDs: []string{"a"}, At: at})
	r.Delivery(sinks.Result{Sink: "oncall", Outcome: "retry", Err: errors.New("slack webhook: post <secret>: dial tcp: connection refused"), At: at})
	r.Delivery(sinks.Result{Sink: "oncall", Outcome: "dropped", IDs: []string{"a"}, At: at,
		Err: retry.Permanent(errors.New("encoding event a: json: unsupported value"))})
	e := r.Recent()[0]
	if got := states(e); got != "nats:sent oncall:dropped(delivery failed (details in the log)) team:filtered("+refused+") " {
		t.Errorf("after delivery: %s", got)
	}
	if e.Transition != "RUNNING → FAILED" || e.Label != "Master/standby switchover failed" || e.TaskID != "task-a" {
		t.Errorf("event shown as %+v", e)
	}
	if ok, _, _ := r.ReceiverState("nats"); !ok.Equal(at) {
		t.Errorf("nats last success %v, want %v", ok, at)
	}
	r.Delivery(sinks.Result{Sink: "team", Outcome: "retry", Err: errors.New("slack webhook: post <secret>: dial tcp: connection refused"), At: at})
	if _, msg, when := r.ReceiverState("team"); msg != "unreachable (connection refused)" || !when.Equal(at) {
		t.Errorf("team last error %q at %v", msg, when)
	}
	r.Dropped("nats", []string{"a", "unknown"}, "past max_pending")
	if got := states(r.Recent()[0]); got != "nats:dropped(past max_pending) oncall:dropped(delivery failed (details in the log)) team:filtered("+refused+") " {
		t.Errorf("after a backlog drop: %s", got)
	}
}

// The ring keeps the last size events, newest first, and forgets the rest, their
// deliveries included.
func TestRecorderIsBounded(t *testing.T) {
	r := NewRecorder(3)
	for i := range 7 {
		r.Routed(testEvent(fmt.Sprint(i)), queued("nats"), time.Now())
	}
	var ids []string
	for _, e := range r.Recent() {
		ids = append(ids, e.ID)
	}
	if fmt.Sprint(ids) != "[6 5 4]" {
		t.Errorf("recent = %v, want [6 5 4]", ids)
	}
	if len(r.byID) != 3 {
		t.Errorf("index holds %d ids, want 3", len(r.byID))
	}
	r.Delivery(sinks.Result{Sink: "nats", Outcome: "ok", IDs: []string{"1", "5"}, At: time.Now()})
	if got := states(r.Recent()[1]); got != "nats:sent " {
		t.Errorf("event 5: %s", got)
	}
}

func TestRecorderFindsTheInstance(t *testing.T) {
	r := NewRecorder(3)
	e := testEvent("a")
	e.Data.Task = []byte(`{"id":"task-a","details":{"instance_name":"redis-prod"}}`)
	r.Routed(e, nil, time.Now())
	if got := r.Instance("task-a"); got != "redis-prod" {
		t.Errorf("Instance = %q, want redis-prod", got)
	}
	if got := r.Instance("task-b"); got != "" {
		t.Errorf("Instance of an unknown task = %q", got)
	}
}

// The status page names the instance the event names (as Slack does): the one the diff
// found, else the task's, params included; its name before its id.
func TestRecorderTakesTheEventsInstance(t *testing.T) {
	r := NewRecorder(3)
	e := testEvent("a")
	e.Data.Task = []byte(`{"id":"task-a"}`)
	e.Data.InstanceID = "i-1"
	r.Routed(e, nil, time.Now())
	if got := r.Instance("task-a"); got != "i-1" {
		t.Errorf("Instance = %q, want the event's i-1", got)
	}
	e = testEvent("b")
	e.Data.Task = []byte(`{"id":"task-b","params":"{\"instance_id\":\"i-2\",\"instance_name\":\"cache\"}"}`)
	r.Routed(e, nil, time.Now())
	if got := r.Instance("task-b"); got != "cache" {
		t.Errorf("Instance = %q, want cache from params", got)
	}
	// The recent events say it too, with the task's status; a watch event has neither.
	r.Routed(&event.Event{ID: "g", Type: event.TypeGap, Subject: "p", Time: time.Now(), Data: event.Data{ProjectID: "p"}}, nil, time.Now())
	recent := r.Recent()
	if g, b, a := recent[0], recent[1], recent[2]; b.Instance != "cache" || b.Status != "FAILED" || a.Instance != "i-1" ||
		g.Instance != "" || g.Status != "" {
		t.Errorf("recent events: instance %q %q %q, status %q %q %q", g.Instance, b.Instance, a.Instance, g.Status, b.Status, a.Status)
	}
}

func TestDuration(t *testing.T) {
	for s, want := range map[int64]string{-3: "0s", 45: "45s", 60: "1m", 754: "12m", 3600: "1h", 11100: "3h5m", 187200: "2d4h", 172800: "2d"} {
		if got := Duration(s); got != want {
			t.Errorf("Duration(%d) = %q, want %q", s, got, want)
		}
	}
}

// A receiver a maintenance window kept the event from is listed as muted, with the
// window, at the commit; a delivery to another receiver leaves it so.
func TestRecorderShowsMutedReceivers(t *testing.T) {
	r := NewRecorder(10)
	at := time.Date(2026, 12, 4, 17, 30, 0, 0, time.UTC)
	r.Routed(testEvent("a"), append(queued("nats"), Route{Receiver: "oncall", State: Muted, Reason: "maintenance window weekly-maintenance"}), at)
	r.Delivery(sinks.Result{Sink: "nats", Outcome: "ok", IDs: []string{"a"}, At: at})
	e := r.Recent()[0]
	if got := states(e); got != "nats:sent oncall:muted(maintenance window weekly-maintenance) " {
		t.Errorf("states: %s", got)
	}
	if d := e.Deliveries[1]; d.At == nil || !d.At.Equal(at) {
		t.Errorf("muted at %v, want %v", d.At, at)
	}
}

// An event an on-call receiver took and sent nothing for is never shown sent: it shows
// what held it at commit (its filter, a window), or that there was nothing to send; the
// events it did send something for are sent.
func TestRecorderNeverSaysSentForWhatWasNotSent(t *testing.T) {
	r := NewRecorder(10)
	at := time.Date(2026, 12, 4, 17, 30, 0, 0, time.UTC)
	const refused = "min_severity critical > info"
	r.Routed(testEvent("a"), []Route{{Receiver: "nats", Queued: true}, {Receiver: "pd", Queued: true, State: Filtered, Reason: refused},
		{Receiver: "am", Queued: true, State: Muted, Reason: "maintenance window upgrade"}, {Receiver: "ops", Queued: true}}, at)
	r.Routed(testEvent("b"), queued("nats", "pd", "am", "ops"), at)
	for _, sink := range []string{"nats", "pd", "am", "ops"} {
		res := sinks.Result{Sink: sink, Outcome: "ok", IDs: []string{"a", "b"}, At: at}
		if sink != "nats" {
			res.Unsent = []string{"a"}
		}
		r.Delivery(res)
	}
	recent := r.Recent()
	if got := states(recent[1]); got != "nats:sent pd:filtered("+refused+") am:muted(maintenance window upgrade) ops:filtered("+NothingToSend+") " {
		t.Errorf("a, sent nothing for but to NATS: %s", got)
	}
	if got := states(recent[0]); got != "nats:sent pd:sent am:sent ops:sent " {
		t.Errorf("b, sent to each: %s", got)
	}
	if ok, _, _ := r.ReceiverState("pd"); !ok.Equal(at) {
		t.Errorf("pd last success %v, want %v: taking an event is a success", ok, at)
	}
}
