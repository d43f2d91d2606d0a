package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/dcssim"
	"notifier/internal/testkit/testutil"
)

// logLine is one decoded JSON log line.
type logLine map[string]any

// parseLine decodes a JSON log line, failing on anything but one object of unique keys.
func parseLine(raw []byte) (logLine, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	l := logLine{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string)
		if _, dup := l[key]; dup {
			return nil, fmt.Errorf("key %q twice", key)
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		l[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("more after the object")
	}
	return l, nil
}

// durationKeys are the fields that hold a duration.
var durationKeys = []string{"retry_in", "duration", "failed_for", "timeout", "max_follow"}

// A run at trace level through a NATS outage, a failed poll and a stop: every line is one
// JSON object with no key twice and no empty value; durations are Go duration strings;
// the lines an operator reads first are there (start, baseline, NATS failure with its
// cause, recovery, a debug line per poll), and every delivery line names the receiver,
// the event, its project and its task.
func TestLogLines(t *testing.T) {
	p := newPipeline(t, false)
	p.put("before", "EXTEND", "SUCCESS")
	p.ns.Stop()
	logs := &testutil.SyncBuffer{}
	reg := prometheus.NewRegistry()
	deps := p.deps(reg)
	deps.Log = zerolog.New(logs).Level(zerolog.TraceLevel).With().Timestamp().Logger()
	stop := p.startWith(deps)
	defer stop()
	p.put("a", "EXTEND", "RUNNING")
	testutil.Eventually(t, "a failed delivery and the failure to connect", func() bool {
		return strings.Contains(logs.String(), "delivery failed; will retry") && strings.Contains(logs.String(), "cannot connect to nats")
	})
	p.ns.Start()
	c := collect(t, p.ns.URL())
	c.wait(t, "a:>RUNNING")
	p.sim.InjectFault(dcssim.Fault{Status: 500})
	testutil.Eventually(t, "polling recovered", func() bool { return strings.Contains(logs.String(), "polling recovered") })
	stop()

	byMsg := map[string][]logLine{}
	for raw := range bytes.SplitSeq(bytes.TrimSpace([]byte(logs.String())), []byte("\n")) {
		l, err := parseLine(raw)
		if err != nil {
			t.Errorf("%v: %s", err, raw)
			continue
		}
		for k, v := range l {
			switch v := v.(type) {
			case nil:
				t.Errorf("%q is null: %s", k, raw)
			case string:
				if v == "" {
					t.Errorf("%q is empty: %s", k, raw)
				}
				if slices.Contains(durationKeys, k) {
					if _, err := time.ParseDuration(v); err != nil {
						t.Errorf("%q is not a Go duration: %s", k, raw)
					}
				}
			case []any:
				if len(v) == 0 {
					t.Errorf("%q is empty: %s", k, raw)
				}
			case float64:
				if slices.Contains(durationKeys, k) {
					t.Errorf("%q is a bare number: %s", k, raw)
				}
			}
		}
		msg, _ := l["message"].(string)
		byMsg[msg] = append(byMsg[msg], l)
	}
	for _, want := range []struct {
		msg  string
		keys []string
	}{
		{"notifier running", []string{"version", "projects", "receivers", "backend"}},
		{"first poll of this project: its tasks are recorded as the baseline", []string{"project", "tasks"}},
		{"cannot connect to nats; retrying every second, events stay pending", []string{"receiver", "servers", "reason"}},
		{"task transition", []string{"project", "event_id", "task_id", "type", "severity"}},
		{"nats connected", []string{"receiver", "server"}},
		{"poll", []string{"project", "requests", "tasks", "events", "duration"}},
		{"poll failed; no events produced, state unchanged", []string{"project", "error", "retry_in"}},
		{"polling recovered", []string{"project", "failed_for", "failed_polls"}},
		{"delivery failed; will retry", []string{"receiver", "event_id", "project", "task_id", "retry_in"}},
		{"delivered", []string{"receiver", "event_id", "project", "task_id"}},
		{"stopping: polling stopped, delivering pending events", []string{"timeout"}},
	} {
		ls := byMsg[want.msg]
		if len(ls) == 0 {
			t.Errorf("no line %q", want.msg)
			continue
		}
		for _, l := range ls {
			for _, k := range want.keys {
				if _, ok := l[k]; !ok {
					t.Errorf("line %q lacks %q: %v", want.msg, k, l)
				}
			}
		}
	}
	if t.Failed() {
		t.Logf("log:\n%s", logs)
	}
}
