package app_test

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promtest "github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/event"
	"notifier/internal/metrics"
	"notifier/internal/receiver"
	"notifier/internal/sinks/pagerduty"
	"notifier/internal/sinks/slacksink"
	"notifier/internal/testkit/oncalltest"
	"notifier/internal/testkit/testutil"
)

// once --render and run decide alike who gets an event (route.Decide): the same events,
// inside a maintenance window, go to the same receivers, and the on-call receiver is
// rendered the requests run sends. A page opened before the window resolves inside it
// (the on-call rule), and an on-call receiver's failure inside it opens nothing; Slack
// and the rest are muted. Before one decision, --render hid from the on-call receiver the
// events that run sent it.
func TestRenderAndRunRouteAlike(t *testing.T) {
	p := newPipeline(t, false)
	pd := oncalltest.NewPagerDuty(t)
	_, hookURL := newHook(t)
	p.cfg.PagerDuty = []pagerduty.Config{{Common: receiver.Common{Name: "pd", MinSeverity: "warning", MaxPending: 100}, RoutingKeyEnv: "PD_KEY", URL: pd.URL()}}
	p.cfg.Slack.Webhooks = []slacksink.WebhookConfig{{Common: receiver.Common{Name: "team", MaxPending: 100}, URLEnv: "TEAM"}}
	env := map[string]string{"CLOUD_SDK_AK": pipeAK, "CLOUD_SDK_SK": pipeSK, "PD_KEY": oncalltest.RoutingKey, "TEAM": hookURL}
	deps := func(m *metrics.Metrics, reg *prometheus.Registry) app.Deps {
		d := p.deps(reg)
		d.Getenv = func(k string) string { return env[k] }
		d.Metrics = m
		return d
	}

	// Before the window: a switchover runs, and pages.
	stop := p.startWith(deps(nil, prometheus.NewRegistry()))
	p.sim.Put(pipeProject, dcssim.Task{ID: "swap-1", Name: event.SwitchoverTask, Status: "RUNNING", CreatedAt: time.Now().UTC(), UserName: "ops"})
	testutil.Eventually(t, "the switchover paged", func() bool { return len(pd.Events()) == 1 })
	stop()

	// Inside the window: the switchover succeeds, and another task fails.
	now := time.Now().UTC()
	p.cfg.Mute = []config.Mute{{Name: "upgrade", From: now.Add(-time.Hour).Format(time.RFC3339), Until: now.Add(time.Hour).Format(time.RFC3339)}}
	p.set("swap-1", "SUCCESS")
	p.put("ext-1", "EXTEND", "FAILED")

	rendered, out := render(t, p.cfg, deps(nil, nil))
	key := "dcs/" + pipeProject + "/swap-1"
	if !strings.Contains(out, `"event_action":"resolve","dedup_key":"`+key+`"`) || strings.Contains(out, `"event_action":"trigger"`) {
		t.Errorf("--render does not show pd resolving the page and opening nothing:\n%s", out)
	}

	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "test")
	stop = p.startWith(deps(m, reg))
	defer stop()
	ok := func(name string) int { return int(promtest.ToFloat64(m.Deliveries.WithLabelValues(name, "ok"))) }
	testutil.Eventually(t, "both events delivered to NATS and taken by pd, and muted for team", func() bool {
		return ok("nats") == 2 && ok("pd") == 2 && promtest.ToFloat64(m.Deliveries.WithLabelValues("team", "muted")) == 2
	})
	stop()
	ran := map[string]int{"nats": ok("nats"), "pd": ok("pd"), "team": ok("team")}
	for name, n := range ran {
		if rendered[name] != n {
			t.Errorf("%s: --render routes %d events to it, run %d\n%s", name, rendered[name], n, out)
		}
	}
	if evs := pd.Events(); len(evs) != 2 || evs[1].EventAction != "resolve" || evs[1].DedupKey != key {
		t.Errorf("run sent pd %+v, want the trigger then its resolve, as rendered", evs)
	}
}

// render runs once --render over cfg and returns how many events it routes to each
// receiver ("# name (key): N events ..."), and its output.
func render(t *testing.T, cfg *config.Config, d app.Deps) (map[string]int, string) {
	t.Helper()
	d.DryRun = true
	d.Log = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	a, err := app.New(cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var out bytes.Buffer
	if err := a.OnceRender(t.Context(), &out); err != nil {
		t.Fatal(err)
	}
	head := regexp.MustCompile(`(?m)^# (\S+) \([^)]*\): (?:no events|(\d+) events?)`)
	counts := map[string]int{}
	for _, h := range head.FindAllStringSubmatch(out.String(), -1) {
		counts[h[1]], _ = strconv.Atoi(h[2]) // "no events": 0
	}
	return counts, out.String()
}
