package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/event"
	"notifier/internal/receiver"
	"notifier/internal/sinks/alertmanager"
	"notifier/internal/sinks/pagerduty"
	"notifier/internal/testkit/oncalltest"
	"notifier/internal/testkit/testutil"
	"notifier/internal/web"
)

// An on-call team pages on a failed switchover and sees the page resolve by itself when
// the retry on the same instance succeeds, with no code of its own; Alertmanager's alert
// survives a restart in between (re-sent, not lost, not resolved). Both state backends.
func TestFailedSwitchoverPagesAndItsRetryResolves(t *testing.T) {
	for _, backend := range []string{"file", "nats-kv"} {
		t.Run(backend, func(t *testing.T) {
			p := newPipeline(t, true)
			if backend == "nats-kv" {
				p.cfg.State.Backend = "nats-kv"
				p.cfg.State.LeaseTTL = config.Duration(time.Second)
			}
			pd := oncalltest.NewPagerDuty(t)
			am := oncalltest.NewAlertmanager(t, "Bearer am-t0ken-am-t0ken")
			p.cfg.PagerDuty = []pagerduty.Config{{Common: receiver.Common{Name: "pd-dcs", MinSeverity: "critical", MaxPending: 100}, RoutingKeyEnv: "PD_ROUTING_KEY", URL: pd.URL()}}
			p.cfg.Alertmanager = []alertmanager.Config{{Common: receiver.Common{Name: "am", MinSeverity: "warning", MaxPending: 100}, URL: am.URL(), BearerTokenEnv: "AM_TOKEN", ResendInterval: config.Duration(time.Hour), FailedTTL: config.Duration(24 * time.Hour)}}
			env := map[string]string{"CLOUD_SDK_AK": pipeAK, "CLOUD_SDK_SK": pipeSK,
				"PD_ROUTING_KEY": oncalltest.RoutingKey, "AM_TOKEN": "am-t0ken-am-t0ken"}
			deps := p.deps(nil)
			deps.Getenv = func(k string) string { return env[k] }
			start := func() func() {
				d := deps
				d.Registry = prometheus.NewRegistry()
				return p.startWith(d)
			}
			put := func(id, status string) {
				p.sim.Put(pipeProject, dcssim.Task{ID: id, Name: event.SwitchoverTask, Status: status, CreatedAt: time.Now().UTC(),
					UserName: "ops", JobID: "job-" + id, Extra: map[string]any{"instance_id": "inst-1"}})
			}
			active := func(want ...string) func() bool {
				return func() bool { return slices.Equal(am.Active(time.Now()), want) }
			}

			stop := start()
			put("swap-1", "RUNNING")
			testutil.Eventually(t, "the switchover alert", active("DCSSwitchover swap-1"))
			p.set("swap-1", "FAILED")
			testutil.Eventually(t, "the page", func() bool { return len(pd.Events()) == 1 })
			testutil.Eventually(t, "the failure alert", active("DCSTaskFailed swap-1"))

			// A restart: the active alert is re-sent at once, as it was, with a new endsAt.
			stop()
			before := len(am.Posts())
			stop = start()
			defer stop()
			testutil.Eventually(t, "the alert re-sent after the restart", func() bool {
				for _, post := range am.Posts()[before:] {
					for _, a := range post {
						if a.Labels["alertname"] == "DCSTaskFailed" && a.Labels["task_id"] == "swap-1" &&
							a.EndsAt != nil && a.EndsAt.After(time.Now()) {
							return true
						}
					}
				}
				return false
			})

			// The retry, a new task on the same instance, succeeds: everything resolves.
			put("swap-2", "RUNNING")
			p.set("swap-2", "SUCCESS")
			testutil.Eventually(t, "the resolve", func() bool { return len(pd.Events()) == 2 })
			testutil.Eventually(t, "no alert active", active())
			stop()

			evs := pd.Events()
			key := "dcs/" + pipeProject + "/swap-1"
			if evs[0].EventAction != "trigger" || evs[0].DedupKey != key || evs[1].EventAction != "resolve" || evs[1].DedupKey != key {
				t.Fatalf("PagerDuty got %s %s, %s %s; want trigger then resolve of %s",
					evs[0].EventAction, evs[0].DedupKey, evs[1].EventAction, evs[1].DedupKey, key)
			}
			if p := evs[0].Payload; p.Source != "inst-1" || !strings.Contains(p.Summary, "Master/standby switchover failed on instance inst-1") {
				t.Errorf("trigger payload %+v", p)
			}
		})
	}
}

// Refused on-call deliveries, logged at trace level, show neither the routing key nor
// the Alertmanager credentials, in the logs or on the status page.
func TestOnCallSecretsNeverExposed(t *testing.T) {
	const (
		badKey  = "leak-routing-key-0123456789abcdef" // PagerDuty refuses it: 400
		amPass  = "leak-am-password-0123"
		amToken = "Basic bGVhazpsZWFrLWFtLXBhc3N3b3JkLTAxMjM=" // leak:leak-am-password-0123
	)
	p := newPipeline(t, true)
	pd := oncalltest.NewPagerDuty(t)
	am := oncalltest.NewAlertmanager(t, "Basic c29tZW9uZTplbHNl") // wants other credentials: 401
	p.cfg.PagerDuty = []pagerduty.Config{{Common: receiver.Common{Name: "pd", MinSeverity: "info", MaxPending: 100}, RoutingKeyEnv: "PD_KEY", URL: pd.URL()}}
	p.cfg.Alertmanager = []alertmanager.Config{{Common: receiver.Common{Name: "am", MinSeverity: "info", MaxPending: 100}, URL: am.URL(), BasicAuthUserEnv: "AM_USER", BasicAuthPasswordEnv: "AM_PASS", ResendInterval: config.Duration(time.Second), FailedTTL: config.Duration(time.Hour)}}
	p.cfg.Log.Level = "trace"
	env := map[string]string{"CLOUD_SDK_AK": pipeAK, "CLOUD_SDK_SK": pipeSK, "PD_KEY": badKey, "AM_USER": "leak", "AM_PASS": amPass}
	logs := &testutil.SyncBuffer{}
	deps := p.deps(prometheus.NewRegistry())
	deps.Log = zerolog.New(logs).Level(zerolog.TraceLevel)
	deps.Getenv = func(k string) string { return env[k] }
	a, err := app.New(p.cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	testutil.Eventually(t, "the first poll", func() bool { return metric(t, deps.Registry, "notifier_polls_total") > 0 })
	p.put("t1", "EXTEND", "FAILED")
	testutil.Eventually(t, "both refusals", func() bool {
		l := logs.String()
		return strings.Contains(l, "Event object is invalid") && strings.Contains(l, "HTTP 401")
	})
	rec := httptest.NewRecorder()
	web.Handler(a, zerolog.Nop()).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/status?format=json", nil))
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{badKey, amPass, amToken, "bGVhazpsZWFrLWFtLXBhc3N3b3JkLTAxMjM="} {
		if strings.Contains(logs.String(), s) || strings.Contains(rec.Body.String(), s) {
			t.Errorf("secret %.8s... exposed", s)
		}
	}
}
