package demo

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"notifier/internal/event"
	"notifier/internal/testkit/testutil"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// Started once per process by the NATS client and server libraries, and by the
		// process collector; they are not ours to stop.
		goleak.IgnoreTopFunction("github.com/nats-io/nats-server/v2/server.(*Server).startGoRoutine"),
		goleak.IgnoreAnyFunction("github.com/nats-io/nats-server/v2/server.init.func1"),
	)
}

// lineWriter passes what it is given to next and each whole line to c, dropping lines
// when c is full rather than blocking the demo.
type lineWriter struct {
	c    chan string
	next *testutil.SyncBuffer
	part string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.part += string(p)
	for {
		i := strings.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		select {
		case w.c <- w.part[:i]:
		default:
		}
		w.part = w.part[i+1:]
	}
	return w.next.Write(p)
}

// speed plays the minute-long script in about 2.5 s.
const speed = 25

// TestRunPublishesTheScript runs the whole demo fast, with the CloudEvents printed as JSON,
// and checks that every transition of the script came through NATS exactly once.
func TestRunPublishesTheScript(t *testing.T) {
	var out, notes testutil.SyncBuffer
	o := Options{Speed: speed, JSON: true, Notes: &notes, Version: "test", Getenv: func(string) string { return "" }}
	if err := Run(t.Context(), o, &out); err != nil {
		t.Fatalf("Run: %v\nnotes:\n%s", err, notes.String())
	}

	got := map[string]int{}
	sev := map[string]event.Severity{}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		var e event.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("stdout line is not a CloudEvent: %v: %q", err, sc.Text())
		}
		k := e.Data.TaskName + " " + e.Data.PreviousStatus + ">" + e.Data.Status
		got[k]++
		sev[k] = e.Data.Severity
	}
	want := []struct {
		key string
		sev event.Severity
	}{
		{"EXTEND >RUNNING", event.Info},
		{"EXTEND RUNNING>SUCCESS", event.Info},
		{"BindEip >RUNNING", event.Info},
		{"BindEip RUNNING>SUCCESS", event.Info},
		{"masterStandbySwapJob >RUNNING", event.Warning},
		{"masterStandbySwapJob RUNNING>FAILED", event.Critical},
		{"modify >SUCCESS", event.Info},
		{"AddReplica >RUNNING", event.Info},
		{"AddReplica RUNNING>ROLLING_BACK", event.Info},
		{"AddReplica ROLLING_BACK>SUCCESS", event.Info},
	}
	for _, w := range want {
		if got[w.key] != 1 {
			t.Errorf("%s: received %d times, want once", w.key, got[w.key])
		}
		if got[w.key] > 0 && sev[w.key] != w.sev {
			t.Errorf("%s: severity %s, want %s", w.key, sev[w.key], w.sev)
		}
		delete(got, w.key)
	}
	for k, n := range got {
		t.Errorf("unexpected event %s (%d times)", k, n)
	}
	n := notes.String()
	for _, s := range []string{"nats sub 'dcs.tasks.>' --server nats://127.0.0.1:", "/metrics", "summary: 10 events", "switchover failed"} {
		if !strings.Contains(n, s) {
			t.Errorf("notes lack %q:\n%s", s, n)
		}
	}
	if t.Failed() {
		t.Logf("notes:\n%s\nstdout:\n%s", n, out.String())
	}
}

// TestRunStopsOnCancel stops the demo while the script still runs: Run returns nil and
// prints the summary, and the readable lines name the subject.
func TestRunStopsOnCancel(t *testing.T) {
	var out testutil.SyncBuffer
	lines := make(chan string, 100)
	o := Options{Speed: speed, Getenv: func(string) string { return "" }, Notes: &lineWriter{c: lines, next: &out}}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, o, &out) }()
	for l := range lines { // the spec change has started: the script is under way
		if strings.Contains(l, "EXTEND: spec change") {
			break
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after cancel: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return within 20s of the cancel")
	}
	if s := out.String(); !strings.Contains(s, "summary:") || strings.Contains(s, "demo script finished") {
		t.Errorf("want a summary and no end of the script:\n%s", s)
	}
}

// TestLine checks the readable form of an event.
func TestLine(t *testing.T) {
	e := event.Event{Subject: "8abf12cd00000000", Data: event.Data{
		TaskName: "masterStandbySwapJob", Status: "FAILED", PreviousStatus: "RUNNING", Severity: event.Critical}}
	at := time.Date(2025, 1, 2, 12, 0, 5, 0, time.UTC)
	got := line(at, &e, "dcs.tasks.p.masterStandbySwapJob.FAILED")
	want := "12:00:05  CRITICAL  Master/standby switchover failed (FAILED, was RUNNING)  task 8abf12cd…  (dcs.tasks.p.masterStandbySwapJob.FAILED)"
	if got != want {
		t.Errorf("line =\n%s\nwant\n%s", got, want)
	}
}

// With SLACK_WEBHOOK_URL set the demo adds a webhook; its config must still be valid.
func TestDemoConfigWithSlackIsValid(t *testing.T) {
	o := &Options{Speed: 1, Getenv: func(k string) string {
		if k == slackEnv {
			return "https://hooks.slack.com/services/T0/B0/x"
		}
		return ""
	}}
	dir := t.TempDir()
	w, err := startWorld(o, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	cfg, err := w.config(o, dir)
	if err != nil {
		t.Fatalf("the demo refuses its own config with Slack: %v", err)
	}
	if len(cfg.Slack.Webhooks) != 1 {
		t.Errorf("%d webhooks, want 1", len(cfg.Slack.Webhooks))
	}
}

// With --webhook a local service gets every event the pipeline publishes, signed, as a
// structured CloudEvent, and the demo prints each request it receives.
func TestRunWithWebhook(t *testing.T) {
	var out, notes testutil.SyncBuffer
	o := Options{Speed: speed, JSON: true, Webhook: true, Notes: &notes, Version: "test", Getenv: func(string) string { return "" }}
	if err := Run(t.Context(), o, &out); err != nil {
		t.Fatalf("Run: %v\nnotes:\n%s", err, notes.String())
	}
	events := strings.Count(out.String(), "\n")
	n := notes.String()
	requests := strings.Count(n, "  webhook   POST /events (signature verified)\n")
	if events == 0 || requests != events || strings.Contains(n, "DOES NOT VERIFY") {
		t.Errorf("%d events on NATS, %d verified webhook requests printed", events, requests)
	}
	for _, s := range []string{
		"webhook              http://127.0.0.1:",
		"Content-Type: application/cloudevents+json; charset=utf-8",
		`"specversion": "1.0"`,
		`"type": "com.huaweicloud.dcs.task.status_changed"`,
		"X-Notifier-Signature: sha256=",
		fmt.Sprintf("the webhook received %d requests", events),
	} {
		if !strings.Contains(n, s) {
			t.Errorf("notes lack %q", s)
		}
	}
	if t.Failed() {
		t.Logf("notes:\n%s", n)
	}
}
