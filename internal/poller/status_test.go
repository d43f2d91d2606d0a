package poller

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"notifier/internal/dcssim"
)

// logLine returns the first JSON log line whose message is msg, decoded.
func logLine(t *testing.T, logs string, msg string) map[string]any {
	t.Helper()
	for l := range strings.SplitSeq(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		if m["message"] == msg {
			return m
		}
	}
	t.Fatalf("no log line %q in:\n%s", msg, logs)
	return nil
}

// The poller says what its last poll came to (for /readyz): the error class of a failure,
// none after a success. The first successful poll logs the baseline with its task count;
// after failures, a success logs once that polling recovered and for how long it failed;
// every successful poll logs its requests, tasks, events and duration at debug.
func TestStatusAndPollLogs(t *testing.T) {
	e := newEnv(t, setup{})
	e.put("t1", "EXTEND", "SUCCESS", time.Now().Add(-time.Minute))
	e.put("t2", "EXTEND", "RUNNING", time.Now().Add(-time.Minute))
	if s := e.p.Status(); !s.LastPoll.IsZero() || s.Error != "" {
		t.Errorf("before any poll: %+v", s)
	}
	e.sim.InjectFault(dcssim.Fault{Status: 401})
	if _, err := e.p.Cycle(t.Context()); err == nil {
		t.Fatal("a poll answered 401 succeeded")
	}
	if s := e.p.Status(); s.LastPoll.IsZero() || !s.LastSuccess.IsZero() || s.Error != "credentials refused" {
		t.Errorf("after a refused poll: %+v, want a poll time, no success, credentials refused", s)
	}
	e.sim.InjectFault(dcssim.Fault{Status: 429})
	if _, err := e.p.Cycle(t.Context()); err == nil {
		t.Fatal("a poll answered 429 succeeded")
	}
	if s := e.p.Status(); s.Error != "throttled" {
		t.Errorf("after a throttled poll: error %q, want throttled", s.Error)
	}
	e.cycle(t)
	if s := e.p.Status(); s.LastSuccess.IsZero() || s.Error != "" || s.LastPoll.Before(s.LastSuccess.Add(-time.Second)) {
		t.Errorf("after a successful poll: %+v", s)
	}
	logs := e.logs.String()
	if l := logLine(t, logs, "first poll of this project: its tasks are recorded as the baseline"); l["tasks"] != 2.0 {
		t.Errorf("baseline line %v, want tasks 2", l)
	}
	l := logLine(t, logs, "polling recovered")
	if d, err := time.ParseDuration(l["failed_for"].(string)); err != nil || d < 0 || l["failed_polls"] != 2.0 {
		t.Errorf("recovery line %v, want failed_for as a duration and failed_polls 2", l)
	}
	p := logLine(t, logs, "poll")
	if _, err := time.ParseDuration(p["duration"].(string)); err != nil || p["requests"] != 1.0 || p["tasks"] != 2.0 || p["events"] != 0.0 || p["level"] != "debug" {
		t.Errorf("poll line %v, want 1 request, 2 tasks, 0 events, a duration, at debug", p)
	}
	e.cycle(t)
	if n := strings.Count(e.logs.String(), "polling recovered"); n != 1 {
		t.Errorf("%d recovery lines after two successful polls, want 1", n)
	}
}
