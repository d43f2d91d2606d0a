package pagerduty_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/metrics"
	"notifier/internal/receiver"
	"notifier/internal/sinks/pagerduty"
	"notifier/internal/testkit/oncalltest"
	tu "notifier/internal/testkit/testutil"
)

// openWith opens a [[pagerduty]] entry with template as run does (the kind's Spec, the
// notifier's metrics), posting to the fake PagerDuty.
func openWith(t *testing.T, url, template string, m *metrics.Metrics) *pagerduty.Sink {
	t.Helper()
	c := pagerduty.Config{Common: receiver.Common{Name: "pd", MinSeverity: "critical", Template: template}, RoutingKeyEnv: "PD_KEY", URL: url}
	o, err := pagerduty.Spec.Open(&c, "pagerduty[0]", receiver.Deps{Log: zerolog.Nop(), Metrics: m,
		Getenv: func(string) string { return oncalltest.RoutingKey }})
	if err != nil {
		t.Fatal(err)
	}
	return o.Sink.(*pagerduty.Sink)
}

// The template's summary and details go on the trigger; a details line that is not
// "key: value" adds nothing and is counted, the summary still shaped; a detail never
// replaces one of the notifier's.
func TestTriggerWithATemplate(t *testing.T) {
	pd := oncalltest.NewPagerDuty(t)
	m := metrics.New(prometheus.NewRegistry(), "test")
	s := openWith(t, pd.URL(), `{{define "summary"}}{{.Alert}}: {{.TaskName}} {{.Status}} on {{.Instance}}{{end}}
{{define "details"}}runbook: https://wiki.example.com/{{.TaskName}}
status: overridden?{{end}}`, m)
	send(t, s, tu.NewMemory(), task("t1", event.SwitchoverTask, "FAILED", "inst-1"))
	p := pd.Next(t).Payload
	if p.Summary != "DCSTaskFailed: masterStandbySwapJob FAILED on inst-1" || p.CustomDetails["runbook"] != "https://wiki.example.com/masterStandbySwapJob" ||
		p.CustomDetails["status"] != "FAILED" {
		t.Errorf("payload %+v", p)
	}

	bad := openWith(t, pd.URL(), `{{define "summary"}}{{upper .TaskName}}{{end}}{{define "details"}}just words{{end}}`, m)
	send(t, bad, tu.NewMemory(), task("t2", event.SwitchoverTask, "FAILED", ""))
	p = pd.Next(t).Payload
	if p.Summary != strings.ToUpper(event.SwitchoverTask) || p.CustomDetails["just words"] != nil || p.CustomDetails["task_id"] != "t2" {
		t.Errorf("payload %+v", p)
	}
	if n := testutil.ToFloat64(m.TemplateErrors.WithLabelValues("pd")); n != 1 {
		t.Errorf("notifier_template_errors_total{receiver=\"pd\"} = %v, want 1", n)
	}
}
