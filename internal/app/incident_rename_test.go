package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/dcssim"
	"notifier/internal/event"
	"notifier/internal/receiver"
	"notifier/internal/sinks/pagerduty"
	"notifier/internal/testkit/oncalltest"
	"notifier/internal/testkit/testutil"
)

// A PagerDuty receiver renamed in the config no longer knows the incidents it opened,
// so nothing will resolve them: the start says so, once, naming the old receiver.
func TestRenamedOnCallReceiverSaysWhatItForgot(t *testing.T) {
	p := newPipeline(t, false)
	pd := oncalltest.NewPagerDuty(t)
	p.cfg.PagerDuty = []pagerduty.Config{{Common: receiver.Common{Name: "pd-dcs", MinSeverity: "critical"}, RoutingKeyEnv: "PD_ROUTING_KEY", URL: pd.URL()}}
	env := map[string]string{"CLOUD_SDK_AK": pipeAK, "CLOUD_SDK_SK": pipeSK, "PD_ROUTING_KEY": oncalltest.RoutingKey}
	var logs testutil.SyncBuffer
	start := func() func() {
		d := p.deps(nil)
		d.Registry = prometheus.NewRegistry()
		d.Getenv = func(k string) string { return env[k] }
		d.Log = zerolog.New(&logs).Level(zerolog.WarnLevel)
		return p.startWith(d)
	}

	stop := start()
	p.sim.Put(pipeProject, dcssim.Task{ID: "swap-1", Name: event.SwitchoverTask, Status: "RUNNING", CreatedAt: time.Now().UTC()})
	p.set("swap-1", "FAILED")
	testutil.Eventually(t, "the page", func() bool { return len(pd.Events()) == 1 })
	stop()
	if strings.Contains(logs.String(), "is forgotten") {
		t.Fatal("a warning of forgotten incidents before any receiver was removed")
	}

	p.cfg.PagerDuty[0].Name = "pd-oncall"
	stop = start()
	defer stop()
	if !strings.Contains(logs.String(), `receiver \"pd-dcs\" removed from the config: what it remembered is forgotten (1 open incidents`) {
		t.Fatalf("no warning that pd-dcs's open incident is forgotten; log:\n%s", logs.String())
	}
}
