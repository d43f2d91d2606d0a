package app_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/receiver"
	"notifier/internal/sinks/alertmanager"
	"notifier/internal/sinks/pagerduty"
	"notifier/internal/testkit/oncalltest"
	"notifier/internal/testkit/testutil"
)

// A project becomes unreadable (deleted: its polls are refused), so Alertmanager gets a
// DCSWatchGap alert and PagerDuty an incident. The project is then taken out of the
// configuration (or discovery no longer lists it) and the notifier restarts. Nothing can
// ever end that alert any more (no poll of the project, no restored event): the receivers
// end it themselves, once (Alertmanager: endsAt = now; PagerDuty: a resolve), and forget
// it. Before, the file backend re-sent the alert as active every resend_interval for
// ever, and nats-kv left it to Alertmanager's resolve_timeout and the incident open.
func TestGapAlertOfRemovedProjectIsResolvedThenForgotten(t *testing.T) {
	for _, backend := range []string{"file", "nats-kv"} {
		t.Run(backend, func(t *testing.T) {
			const other = "fedcba9876543210fedcba9876543210"
			p := newPipeline(t, backend == "nats-kv")
			if backend == "nats-kv" {
				p.cfg.State.Backend = "nats-kv"
				p.cfg.State.LeaseTTL = config.Duration(time.Second)
			}
			p.sim.AddProject(other)
			p.cfg.Poll.GapAfter = config.Duration(300 * time.Millisecond)
			p.cfg.Poll.MaxBackoff = config.Duration(100 * time.Millisecond)
			am := oncalltest.NewAlertmanager(t, "")
			p.cfg.Alertmanager = []alertmanager.Config{{Common: receiver.Common{Name: "am", MinSeverity: "warning", MaxPending: 100}, URL: am.URL(), ResendInterval: config.Duration(200 * time.Millisecond), FailedTTL: config.Duration(24 * time.Hour)}}
			pd := oncalltest.NewPagerDuty(t)
			p.cfg.PagerDuty = []pagerduty.Config{{Common: receiver.Common{Name: "pd", MinSeverity: "warning", MaxPending: 100}, RoutingKeyEnv: "PD_ROUTING_KEY", URL: pd.URL()}}
			env := map[string]string{"CLOUD_SDK_AK": pipeAK, "CLOUD_SDK_SK": pipeSK, "PD_ROUTING_KEY": oncalltest.RoutingKey}
			deps := func() app.Deps {
				d := p.deps(prometheus.NewRegistry())
				d.Getenv = func(k string) string { return env[k] }
				return d
			}
			gapKey := "dcs/" + pipeProject + "/watch"

			stop := p.startWith(deps())
			p.sim.RemoveProject(pipeProject) // its polls are refused from now on
			testutil.Eventually(t, "the gap alert", func() bool { return slices.Contains(am.Active(time.Now()), "DCSWatchGap ") })
			testutil.Eventually(t, "the gap incident", func() bool { return pdCount(pd, "trigger", gapKey) > 0 })
			stop()

			// The project is removed from the configuration; another one is watched.
			p.cfg.DCS.Projects = []config.Project{{Region: "cn-north-4", ProjectID: other, Endpoint: p.api.URL}}
			before := len(am.Posts())
			stop = p.startWith(deps())
			defer stop()
			testutil.Eventually(t, "the gap alert resolved", func() bool { return !slices.Contains(am.Active(time.Now()), "DCSWatchGap ") })
			testutil.Eventually(t, "the gap incident resolved", func() bool { return pdCount(pd, "resolve", gapKey) > 0 })
			// Ten re-sends of resend_interval: a forgotten alert is neither re-sent nor ended again.
			time.Sleep(2 * time.Second)
			// Active alerts carry endsAt = now + 4 × resend_interval: a post is the alert's end
			// only when Alertmanager no longer holds it active (checked above), and it must be
			// the only one: a re-send after it, active or ended, is memory not forgotten.
			sent := 0
			for _, post := range am.Posts()[before:] {
				for _, a := range post {
					if a.Labels["alertname"] == "DCSWatchGap" && a.Labels["project_id"] == pipeProject {
						sent++
					}
				}
			}
			if sent != 1 {
				t.Errorf("the gap alert of project %s, no longer configured, was posted %d times in 2s after the restart, want once (its end, then forgotten)",
					pipeProject, sent)
			}
			if n := pdCount(pd, "resolve", gapKey); n != 1 {
				t.Errorf("the gap incident of project %s, no longer configured, was resolved %d times, want once (then forgotten)", pipeProject, n)
			}
		})
	}
}

// A discovered project is missing at a restart only because IAM's listing failed: it may
// still be there, so what its receivers hold stays as it is (the alert is re-sent as
// active), not ended as for a project that is gone.
func TestDiscoveryListingFailureEndsNoAlert(t *testing.T) {
	const other = "fedcba9876543210fedcba9876543210"
	p := newPipeline(t, false)
	p.sim.AddProject(other)
	p.sim.AddProjectFor(pipeAK, pipeProject, "cn-north-4") // listed by IAM
	p.cfg.DCS.Projects = []config.Project{{Region: "cn-north-4", ProjectID: other, Endpoint: p.api.URL}}
	p.cfg.DCS.Discover = []config.Discover{{Name: "acct", Regions: []string{"*"}, AKEnv: "CLOUD_SDK_AK", SKEnv: "CLOUD_SDK_SK",
		IAMEndpoint: p.api.URL, Endpoint: p.api.URL, Refresh: config.DefaultDiscoverRefresh}}
	am := oncalltest.NewAlertmanager(t, "")
	p.cfg.Alertmanager = []alertmanager.Config{{Common: receiver.Common{Name: "am", MinSeverity: "warning", MaxPending: 100}, URL: am.URL(), ResendInterval: config.Duration(200 * time.Millisecond), FailedTTL: config.Duration(24 * time.Hour)}}
	stop, _ := p.start()
	// Two requests: the first poll, the silent baseline of a discovered project, is over.
	testutil.Eventually(t, "the baseline of the discovered project", func() bool { return p.sim.Requests(pipeProject) >= 2 })
	p.put("t-1", "resize", "FAILED")
	testutil.Eventually(t, "the failure alert", func() bool { return slices.Contains(am.Active(time.Now()), "DCSTaskFailed t-1") })
	stop()

	// IAM fails at the restart: the project is not watched, but not known to be gone.
	iam := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "upstream unavailable", http.StatusServiceUnavailable)
	}))
	defer iam.Close()
	p.cfg.DCS.Discover[0].IAMEndpoint = iam.URL
	before := len(am.Posts())
	stop, _ = p.start()
	defer stop()
	testutil.Eventually(t, "a post of the failure alert", func() bool {
		for _, post := range am.Posts()[before:] {
			for _, a := range post {
				if a.Labels["task_id"] == "t-1" {
					return true
				}
			}
		}
		return false
	})
	// Ended, it would be forgotten and never posted again: the fake would hold it ended.
	if !slices.Contains(am.Active(time.Now()), "DCSTaskFailed t-1") {
		t.Errorf("the failure alert of project %s, missing only because IAM's listing failed, was ended", pipeProject)
	}
}

// pdCount counts the events of action on key that PagerDuty accepted.
func pdCount(pd *oncalltest.PagerDuty, action, key string) int {
	n := 0
	for _, ev := range pd.Events() {
		if ev.EventAction == action && ev.DedupKey == key {
			n++
		}
	}
	return n
}
