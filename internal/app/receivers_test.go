package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/receiver"
	"notifier/internal/sinks/slacksink"
	"notifier/internal/state"
	"notifier/internal/testkit/testutil"
)

// hook is an httptest Slack webhook that keeps every body posted to it.
type hook struct {
	mu     sync.Mutex
	bodies []string
}

func newHook(t *testing.T) (*hook, string) {
	h := &hook{}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv.URL + "/services/T0/B0/x"
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.bodies = append(h.bodies, string(b))
	h.mu.Unlock()
	_, _ = w.Write([]byte("ok"))
}

// count returns how many posts name task.
func (h *hook) count(task string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, b := range h.bodies {
		if strings.Contains(b, task) {
			n++
		}
	}
	return n
}

func pendingEvent(task string) event.Event {
	return event.New(event.Transition{ProjectID: pipeProject, Region: "cn-north-4", TaskID: task, TaskName: "EXTEND",
		Status: "FAILED", PreviousStatus: "RUNNING", Seq: 2, Task: json.RawMessage(`{"id":"` + task + `","name":"EXTEND","status":"FAILED"}`),
		DetectedAt: time.Now()})
}

// seed saves, as the previous run would have, events pending for named receivers: x for
// oncall only, y for team only, z for both.
func seed(t *testing.T, p *pipeline, kv bool) {
	t.Helper()
	snap := state.Empty()
	snap.Outbox = []state.Pending{
		{Event: pendingEvent("task-x"), Sinks: []string{"oncall"}},
		{Event: pendingEvent("task-y"), Sinks: []string{"team"}},
		{Event: pendingEvent("task-z"), Sinks: []string{"oncall", "team"}},
	}
	if !kv {
		fs, err := state.OpenFile(p.cfg.State.Path)
		if err != nil {
			t.Fatal(err)
		}
		defer fs.Close()
		if err := fs.Save(t.Context(), snap); err != nil {
			t.Fatal(err)
		}
		return
	}
	nc, err := nats.Connect(p.ns.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	bucket, err := state.OpenKVBucket(t.Context(), js, p.cfg.State.Bucket, 1)
	if err != nil {
		t.Fatal(err)
	}
	s := state.NewKV(bucket, state.KVOptions{Projects: []string{pipeProject}, Term: 1})
	if _, err := s.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(t.Context(), snap); err != nil {
		t.Fatal(err)
	}
}

// Receivers are known by name, never by position: reordering the webhook tables while
// events are pending changes nothing, and removing one drops its events, for it alone,
// with one warning and a count. Each event reaches exactly the receivers it was committed
// for, once; in both state backends.
func TestReorderingAndRemovingReceiversKeepsEventsWithTheirReceivers(t *testing.T) {
	for _, backend := range []string{"file", "nats-kv"} {
		for _, change := range []string{"reorder", "remove oncall"} {
			t.Run(backend+"/"+change, func(t *testing.T) {
				p := newPipeline(t, true)
				if backend == "nats-kv" {
					p.cfg.State.Backend = "nats-kv"
					p.cfg.State.LeaseTTL = config.Duration(time.Second)
				}
				seed(t, p, backend == "nats-kv")
				oncall, oncallURL := newHook(t)
				team, teamURL := newHook(t)
				env := map[string]string{"CLOUD_SDK_AK": pipeAK, "CLOUD_SDK_SK": pipeSK, "ONCALL": oncallURL, "TEAM": teamURL}
				p.cfg.Slack.Webhooks = []slacksink.WebhookConfig{ // the order of the file was oncall, team
					{Common: receiver.Common{Name: "team", MaxPending: 100}, URLEnv: "TEAM"},
					{Common: receiver.Common{Name: "oncall", MaxPending: 100}, URLEnv: "ONCALL"},
				}
				want := map[*hook][]string{oncall: {"task-x", "task-z"}, team: {"task-y", "task-z"}}
				if change == "remove oncall" {
					p.cfg.Slack.Webhooks = p.cfg.Slack.Webhooks[:1]
					want = map[*hook][]string{team: {"task-y", "task-z"}}
				}
				logs := &testutil.SyncBuffer{}
				reg := prometheus.NewRegistry()
				a, err := app.New(p.cfg, app.Deps{Log: zerolog.New(logs).Level(zerolog.WarnLevel), Registry: reg, Version: "test",
					Getenv: func(k string) string { return env[k] }})
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- a.Run(ctx) }()
				for h, tasks := range want {
					testutil.Eventually(t, "the pending events of a webhook", func() bool {
						for _, task := range tasks {
							if h.count(task) == 0 {
								return false
							}
						}
						return true
					})
				}
				cancel()
				if err := <-done; err != nil {
					t.Errorf("Run: %v", err)
				}
				a.Close()
				for h, name := range map[*hook]string{oncall: "oncall", team: "team"} {
					for _, task := range []string{"task-x", "task-y", "task-z"} {
						n := 0
						for _, w := range want[h] {
							if w == task {
								n = 1
							}
						}
						if got := h.count(task); got != n {
							t.Errorf("%s received %s %d times, want %d", name, task, got, n)
						}
					}
				}
				if change == "remove oncall" {
					line := `receiver \"oncall\" removed from the config: 2 pending events dropped`
					if !strings.Contains(logs.String(), line) {
						t.Errorf("no warning %q in the logs:\n%s", line, logs.String())
					}
					if got := labeled(t, reg, "notifier_deliveries_total", map[string]string{"receiver": "oncall", "sink": "oncall", "result": "dropped"}); got != 2 {
						t.Errorf("notifier_deliveries_total{receiver=oncall,result=dropped} = %v, want 2", got)
					}
				}
			})
		}
	}
}
