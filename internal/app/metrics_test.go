package app_test

import (
	"io"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/metrics"
	"notifier/internal/testkit/testutil"
	"notifier/internal/web"
)

// A notifier that has not polled yet already exports what the alerts read: the poll
// counters at 0, the project down, its last successful poll at 0 (never). After a poll
// the project is up; after a restart the last successful poll comes from the state.
func TestMetricsFromTheStart(t *testing.T) {
	cfg, deps := runConfig(t)
	deps.Registry = prometheus.NewRegistry()
	a, err := app.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	reg := deps.Registry
	p := map[string]string{"project": project}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"notifier_polls_total", map[string]string{"project": project, "result": "ok"}, 0},
		{"notifier_polls_total", map[string]string{"project": project, "result": "error"}, 0},
		{"notifier_retries_total", map[string]string{"component": "poller"}, 0},
		{"notifier_last_successful_poll_timestamp_seconds", p, 0},
		{"notifier_project_up", p, 0},
		{"notifier_config_last_reload_successful", map[string]string{}, 1},
	} {
		if v, ok := testutil.Series(t, reg, c.name, c.labels); !ok || v != c.want {
			t.Errorf("before the first poll: %s%v = %v (exists: %v), want %v", c.name, c.labels, v, ok, c.want)
		}
	}
	if _, ok := testutil.Series(t, reg, "notifier_nats_connected", map[string]string{}); ok {
		t.Error("notifier_nats_connected exists without NATS")
	}

	if err := a.Once(t.Context(), io.Discard); err != nil {
		t.Fatal(err)
	}
	if v, _ := testutil.Series(t, reg, "notifier_project_up", p); v != 1 {
		t.Errorf("after a successful poll: notifier_project_up = %v, want 1", v)
	}
	last, _ := testutil.Series(t, reg, "notifier_last_successful_poll_timestamp_seconds", p)
	if last == 0 {
		t.Error("after a successful poll: notifier_last_successful_poll_timestamp_seconds = 0")
	}
	a.Close()

	deps.Registry = prometheus.NewRegistry()
	a, err = app.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	restored, _ := testutil.Series(t, deps.Registry, "notifier_last_successful_poll_timestamp_seconds", p)
	if restored == 0 || restored > last+1 || restored < last-1 {
		t.Errorf("after a restart: notifier_last_successful_poll_timestamp_seconds = %v, want the saved %v", restored, last)
	}
	if v, _ := testutil.Series(t, deps.Registry, "notifier_project_up", p); v != 0 {
		t.Errorf("after a restart, before a poll: notifier_project_up = %v, want 0", v)
	}
}

// With NATS, every receiver's delivery series exist at 0 before any delivery, and
// notifier_nats_connected follows the connection.
func TestReceiverMetricsFromTheStart(t *testing.T) {
	a, ns := newApp(t)
	scrape := func() string {
		t.Helper()
		_, body := get(t, web.Handler(a, zerolog.Nop()), "/metrics")
		return body
	}
	body := scrape()
	for _, want := range []string{
		`notifier_deliveries_total{receiver="nats",result="ok",sink="nats"} 0`,
		`notifier_deliveries_total{receiver="nats",result="retry",sink="nats"} 0`,
		`notifier_deliveries_total{receiver="nats",result="dropped",sink="nats"} 0`,
		`notifier_retries_total{component="nats"} 0`,
		`notifier_pending_events{receiver="nats",sink="nats"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("before any delivery, /metrics lacks %s", want)
		}
	}
	testutil.Eventually(t, "notifier_nats_connected 1", func() bool {
		return strings.Contains(scrape(), "\nnotifier_nats_connected 1\n")
	})
	ns.Shutdown()
	testutil.Eventually(t, "notifier_nats_connected 0 after the server stopped", func() bool {
		return strings.Contains(scrape(), "\nnotifier_nats_connected 0\n")
	})
}

// Apps built one after the other on the same metrics, as a reload builds them, count on:
// a counter keeps its value, and a project the new configuration no longer has loses its
// gauges (its frozen last-poll time would read as a project not watched).
func TestMetricsAcrossApps(t *testing.T) {
	cfg, deps := runConfig(t)
	cfg.HTTP.Listen = ""
	deps.Registry = prometheus.NewRegistry()
	deps.Metrics = metrics.New(deps.Registry, "test")
	a, err := app.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Once(t.Context(), io.Discard); err != nil {
		t.Fatal(err)
	}
	a.Close()
	p := map[string]string{"project": project}
	ok := map[string]string{"project": project, "result": "ok"}

	other := *cfg
	other.DCS.Projects = []config.Project{cfg.DCS.Projects[0]}
	other.DCS.Projects[0].ProjectID = "fedcba9876543210fedcba9876543210"
	a, err = app.New(&other, deps)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := testutil.Series(t, deps.Registry, "notifier_polls_total", ok); v != 1 {
		t.Errorf("after a second App: notifier_polls_total = %v, want the 1 counted by the first", v)
	}
	if _, found := testutil.Series(t, deps.Registry, "notifier_last_successful_poll_timestamp_seconds", p); found {
		t.Error("a project no longer configured keeps notifier_last_successful_poll_timestamp_seconds")
	}
	a.Close()

	a, err = app.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if v, _ := testutil.Series(t, deps.Registry, "notifier_last_successful_poll_timestamp_seconds", p); v == 0 {
		t.Error("a project configured again does not get its last poll time from the state")
	}
}
