package app_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/receiver"
	"notifier/internal/sinks/slacksink"
	"notifier/internal/testkit/testutil"
)

// labeled returns the value of the series of name with exactly the labels want (0 when
// there is none).
func labeled(t *testing.T, reg *prometheus.Registry, name string, want map[string]string) float64 {
	t.Helper()
	v, _ := testutil.Series(t, reg, name, want)
	return v
}

// A Slack webhook that keeps failing keeps at most its max_pending newest events: the
// older ones are dropped for it alone and counted, while NATS receives every event.
func TestDeadWebhookKeepsOnlyItsMaxPendingAndNeverBlocksNATS(t *testing.T) {
	p := newPipeline(t, true)
	slack := &flakySlack{}
	slack.mode.Store("500")
	slackSrv := httptest.NewServer(slack)
	defer slackSrv.Close()
	p.cfg.Slack.Webhooks = []slacksink.WebhookConfig{{Common: receiver.Common{Name: "dead", MinSeverity: "info", MaxPending: 2}, URLEnv: "DEAD_HOOK"}}
	env := map[string]string{"CLOUD_SDK_AK": pipeAK, "CLOUD_SDK_SK": pipeSK, "DEAD_HOOK": slackSrv.URL + "/services/T0/B0/x"}
	reg := prometheus.NewRegistry()
	a, err := app.New(p.cfg, app.Deps{Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.ErrorLevel), Registry: reg, Version: "test",
		Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	testutil.Eventually(t, "the first poll", func() bool { return metric(t, reg, "notifier_polls_total") > 0 })

	c := collect(t, p.ns.URL())
	for _, id := range []string{"t1", "t2", "t3", "t4", "t5"} {
		p.put(id, "EXTEND", "RUNNING")
	}
	c.wait(t, "t1:>RUNNING", "t2:>RUNNING", "t3:>RUNNING", "t4:>RUNNING", "t5:>RUNNING")
	slackSeries := map[string]string{"receiver": "dead", "sink": "dead", "result": "dropped"}
	testutil.Eventually(t, "3 events dropped for the dead webhook", func() bool {
		return labeled(t, reg, "notifier_deliveries_total", slackSeries) == 3
	})
	if got := labeled(t, reg, "notifier_pending_events", map[string]string{"receiver": "dead", "sink": "dead"}); got > 2 {
		t.Errorf("the dead webhook holds %v pending events, want at most its max_pending 2", got)
	}
	if got := labeled(t, reg, "notifier_deliveries_total", map[string]string{"receiver": "nats", "sink": "nats", "result": "dropped"}); got != 0 {
		t.Errorf("NATS dropped %v events because of another receiver", got)
	}
}
