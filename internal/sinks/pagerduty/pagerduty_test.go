package pagerduty_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/httpx"
	"notifier/internal/linktmpl"
	"notifier/internal/receiver"
	"notifier/internal/retry"
	"notifier/internal/sinks"
	"notifier/internal/sinks/pagerduty"
	"notifier/internal/testkit/oncalltest"
	"notifier/internal/testkit/testutil"
)

const proj = "0123456789abcdef0123456789abcdef"

var t0 = time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)

func newSink(t *testing.T, url string, log zerolog.Logger, mod ...func(*pagerduty.Config)) *pagerduty.Sink {
	t.Helper()
	c := pagerduty.Config{Common: receiver.Common{Name: "pd", MinSeverity: "critical"}, RoutingKeyEnv: "PD_KEY", URL: url}
	for _, m := range mod {
		m(&c)
	}
	s, err := pagerduty.New(pagerduty.Options{Config: c, RoutingKey: oncalltest.RoutingKey, Log: log,
		Links: []linktmpl.Link{{Text: "Console", URL: "https://console.example.com/dcs/{{.InstanceID}}"}}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// task is the event of a task's transition, on instance when not "".
func task(id, name, status, instance string) event.Event {
	raw, _ := json.Marshal(map[string]string{"id": id, "name": name, "status": status, "instance_id": instance})
	e := event.New(event.Transition{ProjectID: proj, Region: "cn-north-4", TaskID: id, TaskName: name, Status: status,
		PreviousStatus: "RUNNING", Task: raw, Seq: 2, DetectedAt: t0})
	e.Data.InstanceID, _ = event.Instance(raw)
	return e
}

func send(t *testing.T, s *pagerduty.Sink, mem sinks.Memory, evs ...event.Event) {
	t.Helper()
	if n, err := s.SendWith(t.Context(), evs, mem); err != nil || n != len(evs) {
		t.Fatalf("SendWith = %d, %v; want %d, nil", n, err, len(evs))
	}
}

func TestTriggerThenResolveWithTheSameDedupKey(t *testing.T) {
	pd := oncalltest.NewPagerDuty(t)
	s, mem := newSink(t, pd.URL(), zerolog.Nop()), testutil.NewMemory()
	send(t, s, mem, task("t1", event.SwitchoverTask, "FAILED", "inst-1"))
	trig := pd.Next(t)
	if trig.EventAction != "trigger" || trig.DedupKey != "dcs/"+proj+"/t1" {
		t.Fatalf("got %s %s, want trigger dcs/%s/t1", trig.EventAction, trig.DedupKey, proj)
	}
	p := trig.Payload
	if p.Severity != "critical" || p.Class != "DCSTaskFailed" || p.Component != event.SwitchoverTask || p.Source != "inst-1" ||
		p.Group != proj || !strings.Contains(p.Summary, "Master/standby switchover failed on instance inst-1") || p.CustomDetails["task_id"] != "t1" {
		t.Errorf("payload %+v", p)
	}
	if len(trig.Links) != 1 || trig.Links[0].Href != "https://console.example.com/dcs/inst-1" {
		t.Errorf("links %+v, want the console of inst-1", trig.Links)
	}
	// A SUCCESS is info, below min_severity: it still resolves what was triggered.
	send(t, s, mem, task("t1", event.SwitchoverTask, "SUCCESS", "inst-1"))
	res := pd.Next(t)
	if res.EventAction != "resolve" || res.DedupKey != trig.DedupKey || res.Payload != nil {
		t.Fatalf("got %s %s (payload %v), want resolve %s", res.EventAction, res.DedupKey, res.Payload, trig.DedupKey)
	}
	if mem.Len(proj) != 0 {
		t.Errorf("memory after the resolve: %v", mem.Recollect())
	}
	// Nothing is left to resolve twice.
	send(t, s, mem, task("t1", event.SwitchoverTask, "SUCCESS", "inst-1"))
	pd.None(t)
}

func TestNoResolveForAKeyNeverTriggered(t *testing.T) {
	pd := oncalltest.NewPagerDuty(t)
	s, mem := newSink(t, pd.URL(), zerolog.Nop()), testutil.NewMemory()
	// Below min_severity: a stuck EXTEND is a warning; then it succeeds.
	stuck := event.NewStuck(event.Stuck{ProjectID: proj, Region: "cn-north-4", TaskID: "t1", TaskName: "EXTEND", Status: "RUNNING", DetectedAt: t0})
	send(t, s, mem, stuck, task("t1", "EXTEND", "SUCCESS", ""), task("t2", "EXTEND", "CANCELLED", ""))
	pd.None(t)
	if n := len(pd.Events()); n != 0 {
		t.Fatalf("%d events sent, want none", n)
	}
}

func TestARetryOnTheSameInstanceResolves(t *testing.T) {
	pd := oncalltest.NewPagerDuty(t)
	s, mem := newSink(t, pd.URL(), zerolog.Nop()), testutil.NewMemory()
	send(t, s, mem, task("t1", event.SwitchoverTask, "FAILED", "inst-1"), task("t9", event.SwitchoverTask, "FAILED", "inst-9"))
	pd.Next(t)
	pd.Next(t)
	// A retry elsewhere, and one whose instance is unknown, resolve nothing.
	send(t, s, mem, task("t2", event.SwitchoverTask, "SUCCESS", "inst-2"), task("t3", event.SwitchoverTask, "SUCCESS", ""))
	pd.None(t)
	send(t, s, mem, task("t4", event.SwitchoverTask, "SUCCESS", "inst-1"))
	if res := pd.Next(t); res.EventAction != "resolve" || res.DedupKey != "dcs/"+proj+"/t1" {
		t.Fatalf("got %s %s, want resolve of t1", res.EventAction, res.DedupKey)
	}
	pd.None(t)
	if _, ok := mem.Recall(proj, "dcs/"+proj+"/t9#DCSTaskFailed"); !ok {
		t.Error("the failure on another instance was forgotten")
	}
}

func TestStuckLifecycle(t *testing.T) {
	pd := oncalltest.NewPagerDuty(t)
	s, mem := newSink(t, pd.URL(), zerolog.Nop()), testutil.NewMemory()
	// A stuck switchover is critical; it then fails (an update of the same incident), and a
	// retry of it... is not known to be on the same instance: the task's own end resolves.
	stuck := event.NewStuck(event.Stuck{ProjectID: proj, Region: "cn-north-4", TaskID: "t1", TaskName: event.SwitchoverTask,
		Status: "RUNNING", Running: time.Hour, Threshold: 15 * time.Minute, Source: event.ThresholdConfigured, DetectedAt: t0})
	send(t, s, mem, stuck)
	if ev := pd.Next(t); ev.EventAction != "trigger" || ev.Payload.Class != "DCSTaskStuck" || ev.DedupKey != "dcs/"+proj+"/t1" {
		t.Fatalf("got %s %s %s", ev.EventAction, ev.DedupKey, ev.Payload.Class)
	}
	send(t, s, mem, task("t1", event.SwitchoverTask, "CANCELLED", ""))
	if ev := pd.Next(t); ev.EventAction != "resolve" || ev.DedupKey != "dcs/"+proj+"/t1" {
		t.Fatalf("got %s %s, want the resolve", ev.EventAction, ev.DedupKey)
	}
	// Stuck, then failed: one incident, updated, and no resolve.
	stuck.Subject = "t2"
	send(t, s, mem, stuck, task("t2", event.SwitchoverTask, "FAILED", ""))
	if a, b := pd.Next(t), pd.Next(t); a.EventAction != "trigger" || b.EventAction != "trigger" || b.Payload.Class != "DCSTaskFailed" || a.DedupKey != b.DedupKey {
		t.Fatalf("got %s %s then %s %s", a.EventAction, a.DedupKey, b.EventAction, b.DedupKey)
	}
	pd.None(t)
	if v, _ := mem.Recall(proj, "dcs/"+proj+"/t2#DCSTaskStuck"); v != "" {
		t.Errorf("the stuck incident is still remembered beside the failed one: %s", v)
	}
}

func TestGapLifecycle(t *testing.T) {
	pd := oncalltest.NewPagerDuty(t)
	s, mem := newSink(t, pd.URL(), zerolog.Nop(), func(c *pagerduty.Config) { c.MinSeverity = "warning" }), testutil.NewMemory()
	gap := event.NewGap(event.Gap{ProjectID: proj, Region: "cn-north-4", BlindSince: t0, Reason: "HTTP 503", DetectedAt: t0.Add(5 * time.Minute)})
	send(t, s, mem, gap)
	if ev := pd.Next(t); ev.EventAction != "trigger" || ev.DedupKey != "dcs/"+proj+"/watch" || ev.Payload.Severity != "warning" || ev.Payload.Component != "watch" {
		t.Fatalf("got %s %s %+v", ev.EventAction, ev.DedupKey, ev.Payload)
	}
	restored := event.NewRestored(event.Restored{ProjectID: proj, Region: "cn-north-4", BlindSince: t0, BlindUntil: t0.Add(time.Hour), Complete: true, DetectedAt: t0.Add(time.Hour)})
	send(t, s, mem, restored)
	if ev := pd.Next(t); ev.EventAction != "resolve" || ev.DedupKey != "dcs/"+proj+"/watch" {
		t.Fatalf("got %s %s, want the resolve of the gap", ev.EventAction, ev.DedupKey)
	}
}

// 429 and 5xx are worth retrying, the 429 with its Retry-After; a 400 is permanent for
// the event, says PagerDuty's message, and never the routing key.
func TestAnswersAreClassified(t *testing.T) {
	pd := oncalltest.NewPagerDuty(t)
	var logs testutil.SyncBuffer
	s, mem := newSink(t, pd.URL(), zerolog.New(&logs)), testutil.NewMemory()
	failed := task("t1", event.SwitchoverTask, "FAILED", "")

	pd.FailNext(http429, 503)
	_, err := s.SendWith(t.Context(), []event.Event{failed}, mem)
	var ra *retry.RetryAfterError
	if !errors.As(err, &ra) || ra.After != time.Second || retry.IsPermanent(err) {
		t.Fatalf("429: err = %v, want a RetryAfterError of 1s", err)
	}
	_, err = s.SendWith(t.Context(), []event.Event{failed}, mem)
	var se *httpx.StatusError
	if !errors.As(err, &se) || se.StatusCode != 503 || retry.IsPermanent(err) {
		t.Fatalf("503: err = %v, want a retryable 503", err)
	}
	if mem.Len(proj) != 0 {
		t.Fatal("a trigger that was not accepted is remembered")
	}
	send(t, s, mem, failed)
	pd.Next(t)

	bad, err := pagerduty.New(pagerduty.Options{Config: pagerduty.Config{Common: receiver.Common{Name: "bad", MinSeverity: "critical"}, URL: pd.URL()},
		RoutingKey: "short-key-that-is-wrong", Log: zerolog.New(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	n, err := bad.SendWith(t.Context(), []event.Event{task("t2", "EXTEND", "FAILED", "")}, mem)
	if n != 0 || !retry.IsPermanent(err) || !strings.Contains(err.Error(), "Event object is invalid") ||
		!strings.Contains(err.Error(), "routing_key") {
		t.Fatalf("400: n = %d, err = %v; want a permanent error with PagerDuty's message", n, err)
	}
	if strings.Contains(err.Error(), "short-key-that-is-wrong") || strings.Contains(logs.String(), "short-key-that-is-wrong") ||
		strings.Contains(logs.String(), oncalltest.RoutingKey) {
		t.Fatal("the routing key leaked")
	}
}

const http429 = 429

// A test event is a trigger and at once its resolve: nothing stays open.
func TestDrillTriggersAndResolves(t *testing.T) {
	pd := oncalltest.NewPagerDuty(t)
	s := newSink(t, pd.URL(), zerolog.Nop())
	e := event.NewTest("cn-north-4", proj, "prod", t0)
	if _, err := s.Send(t.Context(), []event.Event{e}); err != nil {
		t.Fatal(err)
	}
	a, b := pd.Next(t), pd.Next(t)
	if a.EventAction != "trigger" || b.EventAction != "resolve" || a.DedupKey != b.DedupKey || !strings.HasPrefix(a.Payload.Summary, "[TEST]") {
		t.Fatalf("got %s %s %v, then %s %s", a.EventAction, a.DedupKey, a.Payload, b.EventAction, b.DedupKey)
	}
}

func TestPrintingNeverShowsTheRoutingKey(t *testing.T) {
	s := newSink(t, "https://events.pagerduty.com/v2/enqueue", zerolog.Nop())
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := sprintf(f, s); strings.Contains(out, oncalltest.RoutingKey) {
			t.Errorf("%s prints the routing key: %s", f, out)
		}
		if out := sprintf(f, *s); strings.Contains(out, oncalltest.RoutingKey) {
			t.Errorf("%s of the value prints the routing key: %s", f, out)
		}
	}
}

// What nothing ended is forgotten after 30 days, silently; the rest stays.
func TestTickForgetsStaleIncidents(t *testing.T) {
	pd := oncalltest.NewPagerDuty(t)
	now := t0.Add(31 * 24 * time.Hour)
	s, err := pagerduty.New(pagerduty.Options{Config: pagerduty.Config{Common: receiver.Common{Name: "pd", MinSeverity: "critical"}, URL: pd.URL()},
		RoutingKey: oncalltest.RoutingKey, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	mem := testutil.NewMemory()
	send(t, s, mem, task("old", "EXTEND", "FAILED", ""))
	recent := task("new", "EXTEND", "FAILED", "")
	recent.Time = now.Add(-time.Hour)
	send(t, s, mem, recent)
	if err := s.Tick(t.Context(), mem); err != nil {
		t.Fatal(err)
	}
	got := mem.Recollect()[proj]
	if _, ok := got["dcs/"+proj+"/old#DCSTaskFailed"]; ok || len(got) != 1 {
		t.Fatalf("after the tick: %v, want only the recent incident", got)
	}
	if n := len(pd.Events()); n != 2 {
		t.Fatalf("%d events, want the two triggers and nothing from the tick", n)
	}
}

// Inside a maintenance window (Muted) nothing is opened, but what was opened before the
// window still resolves.
func TestMutedEventsOpenNothingButStillResolve(t *testing.T) {
	pd := oncalltest.NewPagerDuty(t)
	c := pagerduty.Config{Common: receiver.Common{Name: "pd", MinSeverity: "critical"}, RoutingKeyEnv: "PD_KEY", URL: pd.URL()}
	muted := false
	s, err := pagerduty.New(pagerduty.Options{Config: c, RoutingKey: oncalltest.RoutingKey, Log: zerolog.Nop(),
		Muted: func(*event.Event) bool { return muted }})
	if err != nil {
		t.Fatal(err)
	}
	mem := testutil.NewMemory()
	send(t, s, mem, task("t1", event.SwitchoverTask, "FAILED", "inst-1"))
	if trig := pd.Next(t); trig.EventAction != "trigger" {
		t.Fatalf("before the window: %s, want trigger", trig.EventAction)
	}
	muted = true
	send(t, s, mem, task("t2", event.SwitchoverTask, "FAILED", "inst-2"))
	pd.None(t)
	send(t, s, mem, task("t1", event.SwitchoverTask, "SUCCESS", "inst-1"))
	if res := pd.Next(t); res.EventAction != "resolve" || res.DedupKey != "dcs/"+proj+"/t1" {
		t.Fatalf("inside the window: %s %s, want resolve of t1", res.EventAction, res.DedupKey)
	}
	pd.None(t)
	if mem.Len(proj) != 0 {
		t.Errorf("memory: %v, want nothing open", mem.Recollect())
	}
}

// A refusal that quotes the routing key (a proxy, an integration that echoes what it
// refused) must not leave part of it in the error: the key is redacted before PagerDuty's
// message is shortened for the log, so no cut can keep a piece the redaction would miss.
func TestARefusalQuotingTheKeyKeepsNoPartOfIt(t *testing.T) {
	for _, body := range []string{
		// PagerDuty's JSON, the key where the message is cut.
		`{"status":"invalid event","message":"Event object is invalid","errors":["` + strings.Repeat("x", 70) +
			` routing key ` + oncalltest.RoutingKey + ` is not an integration"]}`,
		// Not JSON: Check's own excerpt of the body.
		strings.Repeat("y", 100) + " " + oncalltest.RoutingKey + " refused",
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, body)
		}))
		var logs testutil.SyncBuffer
		s := newSink(t, srv.URL+"/v2/enqueue", zerolog.New(&logs))
		_, err := s.SendWith(t.Context(), []event.Event{task("t1", "EXTEND", "FAILED", "")}, testutil.NewMemory())
		srv.Close()
		if !retry.IsPermanent(err) {
			t.Fatalf("err = %v, want a permanent refusal", err)
		}
		if piece := oncalltest.RoutingKey[:8]; strings.Contains(err.Error(), piece) || strings.Contains(logs.String(), piece) {
			t.Fatalf("part of the routing key is in the error: %v", err)
		}
	}
}

// SendSelect says which events no request went out for: those that trigger and resolve
// nothing, never one that did.
func TestSendSelectSaysWhatWasNotSent(t *testing.T) {
	pd := oncalltest.NewPagerDuty(t)
	s, mem := newSink(t, pd.URL(), zerolog.Nop()), testutil.NewMemory()
	failed, ok, other := task("t1", event.SwitchoverTask, "FAILED", ""), task("t1", event.SwitchoverTask, "SUCCESS", ""),
		task("t2", "EXTEND", "SUCCESS", "")
	n, unsent, err := s.SendSelect(t.Context(), []event.Event{other, failed, ok, ok}, mem)
	if err != nil || n != 4 {
		t.Fatalf("SendSelect = %d, %v", n, err)
	}
	// The second SUCCESS finds nothing left to resolve.
	if want := []string{other.ID, ok.ID}; strings.Join(unsent, " ") != strings.Join(want, " ") {
		t.Errorf("unsent %v, want %v (the success of another task, and the second resolve)", unsent, want)
	}
	if a, b := pd.Next(t), pd.Next(t); a.EventAction != "trigger" || b.EventAction != "resolve" {
		t.Errorf("sent %s, %s; want trigger, resolve", a.EventAction, b.EventAction)
	}
	pd.None(t)
}
