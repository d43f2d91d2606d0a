package app_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/receiver"
	"notifier/internal/sinks/alertmanager"
	"notifier/internal/sinks/pagerduty"
	"notifier/internal/status"
	"notifier/internal/testkit/oncalltest"
	"notifier/internal/testkit/testutil"
)

// The status page says "sent" only when a request went out: an on-call receiver given
// an event only because it may resolve an incident, and sending nothing for it, shows as
// its filter refused it; one whose filter passed an event that opens, updates and
// resolves nothing shows as filtered for that reason. Before, both said "delivered".
func TestStatusSaysSentOnlyWhenSent(t *testing.T) {
	p := newPipeline(t, false)
	pd := oncalltest.NewPagerDuty(t)
	am := oncalltest.NewAlertmanager(t, "")
	p.cfg.PagerDuty = []pagerduty.Config{{Common: receiver.Common{Name: "pd", MinSeverity: "critical", MaxPending: 100}, RoutingKeyEnv: "PD_KEY", URL: pd.URL()}}
	p.cfg.Alertmanager = []alertmanager.Config{{Common: receiver.Common{Name: "am", MinSeverity: "info", MaxPending: 100}, URL: am.URL(), ResendInterval: config.Duration(time.Hour), FailedTTL: config.Duration(time.Hour)}}
	env := map[string]string{"CLOUD_SDK_AK": pipeAK, "CLOUD_SDK_SK": pipeSK, "PD_KEY": oncalltest.RoutingKey}
	rec := status.NewRecorder(0)
	deps := p.deps(prometheus.NewRegistry())
	deps.Getenv = func(k string) string { return env[k] }
	deps.Status = rec
	stop := p.startWith(deps)
	defer stop()

	p.put("ext-1", "EXTEND", "SUCCESS")             // info: pd gets it only in case it resolves
	p.put("run-1", "EXTEND", "RUNNING")             // info, running: pd's filter refuses it
	p.put("swap-1", event.SwitchoverTask, "FAILED") // critical: both page
	const nothing = "filtered(" + status.NothingToSend + ")"
	want := map[string]string{
		"ext-1":  "nats:sent pd:filtered(min_severity critical > info) am:" + nothing,
		"run-1":  "nats:sent pd:filtered(min_severity critical > info) am:" + nothing,
		"swap-1": "nats:sent pd:sent am:sent",
	}
	defer func() {
		if t.Failed() {
			for task := range want {
				t.Logf("%s: %s", task, statesOf(rec, task))
			}
		}
	}()
	testutil.Eventually(t, "every event's lot on the status page", func() bool {
		for task, w := range want {
			if statesOf(rec, task) != w {
				return false
			}
		}
		return true
	})
	if n := len(pd.Events()); n != 1 {
		t.Errorf("pd got %d requests, want 1 (the page)", n)
	}
}

// statesOf is deliveryStates of the latest recent event of a task, "" when none.
func statesOf(rec *status.Recorder, task string) string {
	for _, e := range rec.Recent() {
		if e.TaskID == task {
			return deliveryStates(e)
		}
	}
	return ""
}
