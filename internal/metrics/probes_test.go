package metrics_test

import (
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"notifier/internal/metrics"
)

const project = "0123456789abcdef0123456789abcdef"

// Every series an alert or the dashboard reads exists from the start with 0, before the
// first poll or delivery: rate(), increase() and "time() - x > N" need it.
func TestSeriesExistFromTheStart(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "test")
	m.InitProject(project)
	m.InitReceiver("nats")
	m.InitReceiver("oncall")
	want := `
# HELP notifier_polls_total Polls of the DCS task center by project and result (ok, error).
# TYPE notifier_polls_total counter
notifier_polls_total{project="0123456789abcdef0123456789abcdef",result="error"} 0
notifier_polls_total{project="0123456789abcdef0123456789abcdef",result="ok"} 0
# HELP notifier_deliveries_total Event deliveries by receiver and result (ok, retry, dropped, muted, silenced). The sink label repeats receiver; it is deprecated and removed in the next release.
# TYPE notifier_deliveries_total counter
notifier_deliveries_total{receiver="nats",result="dropped",sink="nats"} 0
notifier_deliveries_total{receiver="oncall",result="dropped",sink="oncall"} 0
notifier_deliveries_total{receiver="nats",result="muted",sink="nats"} 0
notifier_deliveries_total{receiver="oncall",result="muted",sink="oncall"} 0
notifier_deliveries_total{receiver="nats",result="ok",sink="nats"} 0
notifier_deliveries_total{receiver="oncall",result="ok",sink="oncall"} 0
notifier_deliveries_total{receiver="nats",result="retry",sink="nats"} 0
notifier_deliveries_total{receiver="nats",result="silenced",sink="nats"} 0
notifier_deliveries_total{receiver="oncall",result="retry",sink="oncall"} 0
notifier_deliveries_total{receiver="oncall",result="silenced",sink="oncall"} 0
# HELP notifier_retries_total Retries scheduled by component (poller, receiver name).
# TYPE notifier_retries_total counter
notifier_retries_total{component="nats"} 0
notifier_retries_total{component="oncall"} 0
notifier_retries_total{component="poller"} 0
# HELP notifier_pending_events Events saved but not yet delivered, by receiver. The sink label repeats receiver; it is deprecated and removed in the next release.
# TYPE notifier_pending_events gauge
notifier_pending_events{receiver="nats",sink="nats"} 0
notifier_pending_events{receiver="oncall",sink="oncall"} 0
# HELP notifier_last_successful_poll_timestamp_seconds Unix time of the last poll that succeeded and was committed.
# TYPE notifier_last_successful_poll_timestamp_seconds gauge
notifier_last_successful_poll_timestamp_seconds{project="0123456789abcdef0123456789abcdef"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "notifier_polls_total", "notifier_deliveries_total",
		"notifier_retries_total", "notifier_pending_events", "notifier_last_successful_poll_timestamp_seconds"); err != nil {
		t.Error(err)
	}
}

// A second InitProject, as a reload makes, keeps the last successful poll it knows.
func TestInitProjectKeepsTheLastSuccess(t *testing.T) {
	m := metrics.New(prometheus.NewRegistry(), "test")
	m.InitProject(project)
	at := time.Unix(1_800_000_000, 0)
	m.SetLastSuccess(project, at)
	m.InitProject(project)
	if got := testutil.ToFloat64(m.LastSuccess.WithLabelValues(project)); got != 1_800_000_000 {
		t.Errorf("last success after a second InitProject = %v, want %v", got, at.Unix())
	}
}

// The loaded configuration counts as a successful load, as in Prometheus.
func TestConfigLoadedAtTheStart(t *testing.T) {
	before := time.Now().Unix()
	m := metrics.New(prometheus.NewRegistry(), "test")
	if got := testutil.ToFloat64(m.ConfigReloadSuccessful); got != 1 {
		t.Errorf("notifier_config_last_reload_successful = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.ConfigReloadSuccessTime); got < float64(before) {
		t.Errorf("notifier_config_last_reload_success_timestamp_seconds = %v, want the start (>= %d)", got, before)
	}
}

// notifier_project_up and notifier_nats_connected are asked at every scrape: they change
// without anything being set, and the NATS one is absent when no NATS is configured.
func TestProbesAreAskedAtEveryScrape(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "test")
	if n, err := testutil.GatherAndCount(reg, "notifier_project_up", "notifier_nats_connected"); err != nil || n != 0 {
		t.Fatalf("before SetProbes: %d series (%v), want none", n, err)
	}
	var up, connected atomic.Bool
	m.SetProbes(metrics.Probes{
		ProjectUp:     func() map[string]bool { return map[string]bool{project: up.Load(), "other": false} },
		NATSConnected: connected.Load,
	})
	check := func(upWant, natsWant int) {
		t.Helper()
		want := `
# HELP notifier_nats_connected 1 while the connection to NATS is up, else 0; absent when no NATS is configured.
# TYPE notifier_nats_connected gauge
notifier_nats_connected ` + strconv.Itoa(natsWant) + `
`
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "notifier_nats_connected"); err != nil {
			t.Error(err)
		}
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, mf := range mfs {
			if mf.GetName() == "notifier_project_up" {
				for _, s := range mf.GetMetric() {
					got[s.GetLabel()[0].GetValue()] = s.GetGauge().GetValue()
				}
			}
		}
		if got[project] != float64(upWant) || got["other"] != 0 || len(got) != 2 {
			t.Errorf("notifier_project_up = %v, want %s=%d and other=0", got, project, upWant)
		}
	}
	check(0, 0)
	up.Store(true)
	connected.Store(true)
	check(1, 1)

	m.SetProbes(metrics.Probes{ProjectUp: func() map[string]bool { return nil }})
	if n, err := testutil.GatherAndCount(reg, "notifier_project_up", "notifier_nats_connected"); err != nil || n != 0 {
		t.Errorf("without NATS and projects: %d series (%v), want none", n, err)
	}
}

// The names follow the Prometheus conventions (promlint: units in names, _total only on
// counters, base units), checked with every family present.
func TestNamesFollowConventions(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "test")
	m.InitProject(project)
	m.InitReceiver("nats")
	m.APIRequests.WithLabelValues(project, "200")
	m.TasksFollowed.WithLabelValues(project)
	m.TasksActive.WithLabelValues(project)
	m.Events.WithLabelValues("com.huaweicloud.dcs.task.created", "info")
	m.Leader.WithLabelValues("0", "h")
	m.LeaderTerm.WithLabelValues("0")
	m.SetProbes(metrics.Probes{ProjectUp: func() map[string]bool { return map[string]bool{project: true} },
		NATSConnected: func() bool { return true }})
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "notifier_") {
			t.Errorf("%s: %s", p.Metric, p.Text)
		}
	}
}
