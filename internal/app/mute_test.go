package app_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promtest "github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/event"
	"notifier/internal/metrics"
	"notifier/internal/receiver"
	"notifier/internal/sinks/slacksink"
	"notifier/internal/status"
	"notifier/internal/testkit/testutil"
)

// A maintenance window keeps an event committed inside it from the Slack receiver it
// mutes, never from NATS; the muted delivery is counted and shown. After the window, the
// task's next event reaches Slack saying the task started during the window.
func TestMaintenanceWindowMutesSlackNotNATS(t *testing.T) {
	p := newPipeline(t, false)
	hk, hookURL := newHook(t)
	p.cfg.Slack.Webhooks = []slacksink.WebhookConfig{{Common: receiver.Common{Name: "oncall", MaxPending: 100}, URLEnv: "ONCALL"}}
	start := time.Now().UTC().Truncate(time.Second)
	p.cfg.Mute = []config.Mute{{Name: "weekly-maintenance", Receivers: []string{"oncall"},
		From: start.Add(-time.Hour).Format(time.RFC3339), Until: start.Add(time.Hour).Format(time.RFC3339)}}
	var clock atomic.Pointer[time.Time]
	clock.Store(&start)
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "test")
	rec := status.NewRecorder(0)
	deps := p.deps(reg)
	deps.Metrics, deps.Status = m, rec
	deps.Now = func() time.Time { return *clock.Load() }
	logs := &testutil.SyncBuffer{}
	deps.Log = zerolog.New(logs).Level(zerolog.InfoLevel)
	env := map[string]string{"CLOUD_SDK_AK": pipeAK, "CLOUD_SDK_SK": pipeSK, "ONCALL": hookURL}
	deps.Getenv = func(k string) string { return env[k] }
	if got := promtest.ToFloat64(m.Deliveries.WithLabelValues("oncall", "muted")); got != 0 {
		t.Fatalf("muted before anything: %v", got)
	}
	c := collect(t, p.ns.URL())
	stop := p.startWith(deps)
	defer stop()

	// Inside the window: created now, the tasks are muted for oncall.
	p.sim.Put(pipeProject, dcssim.Task{ID: "swap", Name: event.SwitchoverTask, Status: "RUNNING", CreatedAt: start, UserName: "ops"})
	p.sim.Put(pipeProject, dcssim.Task{ID: "eip", Name: "BindEip", Status: "RUNNING", CreatedAt: start, UserName: "ops"})
	c.wait(t, "swap:>RUNNING", "eip:>RUNNING")
	testutil.Eventually(t, "the muted deliveries counted", func() bool {
		return promtest.ToFloat64(m.Deliveries.WithLabelValues("oncall", "muted")) == 2
	})
	if n := strings.Count(logs.String(), "maintenance window open"); n != 1 {
		t.Errorf("the window's opening logged %d times, want once:\n%s", n, logs.String())
	}
	created := findEvent(t, rec, "swap", "new: RUNNING")
	if got := deliveryStates(created); got != "nats:sent oncall:muted(maintenance window weekly-maintenance)" &&
		got != "nats:pending oncall:muted(maintenance window weekly-maintenance)" {
		t.Errorf("status of the muted event: %s", got)
	}

	// After the window: the failure reaches oncall, which is told where the task started.
	later := start.Add(2 * time.Hour)
	clock.Store(&later)
	p.set("swap", "FAILED")
	c.wait(t, "swap:RUNNING>FAILED")
	testutil.Eventually(t, "the failure posted to oncall", func() bool { return hk.count("swap") > 0 })
	if n := hk.count("swap"); n != 1 {
		t.Errorf("oncall got %d posts about the task, want 1 (the created one was muted)", n)
	}
	if n := hk.count("during maintenance window weekly-maintenance"); n != 1 {
		t.Errorf("the failure does not say it started during the window:\n%s", strings.Join(hk.all(), "\n"))
	}
	testutil.Eventually(t, "the failure delivered to both", func() bool {
		return deliveryStates(findEvent(t, rec, "swap", "RUNNING → FAILED")) == "nats:sent oncall:sent"
	})
	if got := promtest.ToFloat64(m.Deliveries.WithLabelValues("oncall", "muted")); got != 2 {
		t.Errorf("muted = %v after the window, want 2", got)
	}
	if got := promtest.ToFloat64(m.Deliveries.WithLabelValues("nats", "muted")); got != 0 {
		t.Errorf("nats muted = %v, want 0", got)
	}
	c.assertOnce(t, "swap:>RUNNING", "eip:>RUNNING", "swap:RUNNING>FAILED")
	if n := hk.count("`eip`"); n != 0 {
		t.Errorf("oncall got %d posts about the muted task eip", n)
	}
}

// findEvent returns the recent event of a task with a transition, failing when none is.
func findEvent(t *testing.T, rec *status.Recorder, task, transition string) status.Event {
	t.Helper()
	var seen []string
	for _, e := range rec.Recent() {
		if e.TaskID == task && e.Transition == transition {
			return e
		}
		seen = append(seen, e.TaskID+" "+e.Transition)
	}
	t.Fatalf("no event %s %q among %v", task, transition, seen)
	return status.Event{}
}

func deliveryStates(e status.Event) string {
	var out []string
	for _, d := range e.Deliveries {
		s := d.Receiver + ":" + d.State
		if d.Reason != "" {
			s += "(" + d.Reason + ")"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// all returns every body posted.
func (h *hook) all() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.bodies...)
}
