package app_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/event"
	"notifier/internal/receiver"
	"notifier/internal/sinks/alertmanager"
	"notifier/internal/sinks/pagerduty"
	"notifier/internal/sinks/slacksink"
)

// TestOnceRenderShowsEachReceiverItsEvents: a dry run with rendering prints, per receiver,
// what it would be sent of the events routed to it: NATS every event with its subject,
// each webhook only what its filter passes, as Slack JSON.
func TestOnceRenderShowsEachReceiverItsEvents(t *testing.T) {
	sim := dcssim.New(dcssim.Options{AK: testAK, SK: testSK})
	sim.AddProject(project)
	now := time.Now().UTC()
	for _, tk := range []dcssim.Task{
		{ID: "t-swap", Name: event.SwitchoverTask, Status: "FAILED", CreatedAt: now.Add(-time.Minute)},
		{ID: "t-extend", Name: "EXTEND", Status: "RUNNING", CreatedAt: now.Add(-time.Minute)},
		{ID: "t-eip", Name: "BindEip", Status: "SUCCESS", CreatedAt: now.Add(-time.Minute)},
	} {
		sim.Put(project, tk)
	}
	api := httptest.NewServer(sim)
	t.Cleanup(api.Close)
	cfg := config.Default()
	cfg.DCS.Projects = []config.Project{{Region: "cn-north-4", ProjectID: project, Endpoint: api.URL}}
	cfg.Poll.Initial = "notify"
	cfg.State.Path = t.TempDir()
	cfg.HTTP.Listen = ""
	cfg.Slack.Webhooks = []slacksink.WebhookConfig{
		{Common: receiver.Common{Name: "oncall", MinSeverity: "critical", MaxPending: 10}, URLEnv: "HOOK_ONCALL"},
		{Common: receiver.Common{Name: "team", MinSeverity: "info", TaskNames: []string{"EXTEND"}, MaxPending: 10}, URLEnv: "HOOK_TEAM"},
		{Common: receiver.Common{Name: "quiet", MinSeverity: "info", Statuses: []string{"CANCELLED"}, MaxPending: 10}, URLEnv: "HOOK_QUIET"},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CLOUD_SDK_AK": testAK, "CLOUD_SDK_SK": testSK}
	a, err := app.New(&cfg, app.Deps{Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
		Getenv: func(k string) string { return env[k] }, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var out bytes.Buffer
	if err := a.OnceRender(t.Context(), &out); err != nil {
		t.Fatal(err)
	}

	sections := map[string][]string{} // receiver header -> its lines
	var head string
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if strings.HasPrefix(l, "# ") {
			head = l
			sections[head] = nil
			continue
		}
		sections[head] = append(sections[head], l)
	}
	natsLines := sections["# nats (nats): 3 events"]
	if len(natsLines) != 6 {
		t.Fatalf("nats section %q, want 3 subjects and 3 events; output:\n%s", natsLines, out.String())
	}
	subjects := map[string]bool{}
	for i := 0; i < len(natsLines); i += 2 {
		var e event.Event
		if err := json.Unmarshal([]byte(natsLines[i+1]), &e); err != nil {
			t.Fatalf("line %q: %v", natsLines[i+1], err)
		}
		if natsLines[i] != "subject "+event.Subject("dcs.tasks", &e) {
			t.Errorf("line %q before the event %s", natsLines[i], e.Data.TaskName)
		}
		subjects[natsLines[i]] = true
	}
	if !subjects["subject dcs.tasks."+project+".masterStandbySwapJob.FAILED"] {
		t.Errorf("no switchover subject among %v", subjects)
	}
	for head, task := range map[string]string{
		"# oncall (slack.webhooks[0]): 1 event in 1 message": "Master/standby switchover failed* · critical",
		"# team (slack.webhooks[1]): 1 event in 1 message":   "Changing the specifications* · started",
	} {
		lines, ok := sections[head]
		if !ok || len(lines) != 1 {
			t.Fatalf("no section %q with one message; output:\n%s", head, out.String())
		}
		var msg slack.WebhookMessage
		if err := json.Unmarshal([]byte(lines[0]), &msg); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(msg.Text, task) {
			t.Errorf("%s: headline %q, want %q", head, msg.Text, task)
		}
	}
	if lines, ok := sections["# quiet (slack.webhooks[2]): no events"]; !ok || len(lines) != 0 {
		t.Errorf("quiet is shown something; output:\n%s", out.String())
	}
}

// An on-call receiver's rendering is the requests it would send, without its secrets:
// a trigger for the failure, nothing for a success it never paged.
func TestOnceRenderShowsOnCallRequests(t *testing.T) {
	sim := dcssim.New(dcssim.Options{AK: testAK, SK: testSK})
	sim.AddProject(project)
	now := time.Now().UTC()
	sim.Put(project, dcssim.Task{ID: "t-swap", Name: event.SwitchoverTask, Status: "FAILED", CreatedAt: now.Add(-time.Minute)})
	sim.Put(project, dcssim.Task{ID: "t-eip", Name: "BindEip", Status: "SUCCESS", CreatedAt: now.Add(-time.Minute)})
	api := httptest.NewServer(sim)
	t.Cleanup(api.Close)
	cfg := config.Default()
	cfg.DCS.Projects = []config.Project{{Region: "cn-north-4", ProjectID: project, Endpoint: api.URL}}
	cfg.Poll.Initial = "notify"
	cfg.State.Path = t.TempDir()
	cfg.HTTP.Listen = ""
	cfg.NATS.URL = ""
	cfg.PagerDuty = []pagerduty.Config{{Common: receiver.Common{Name: "pd", MinSeverity: "critical", MaxPending: 10}, RoutingKeyEnv: "PD_KEY", URL: pagerduty.DefaultURL}}
	cfg.Alertmanager = []alertmanager.Config{{Common: receiver.Common{Name: "am", MinSeverity: "warning", MaxPending: 10}, URL: "http://am.example:9093", ResendInterval: config.Duration(time.Minute), FailedTTL: config.Duration(time.Hour)}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CLOUD_SDK_AK": testAK, "CLOUD_SDK_SK": testSK, "PD_KEY": "R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY32"}
	a, err := app.New(&cfg, app.Deps{Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
		Getenv: func(k string) string { return env[k] }, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var out bytes.Buffer
	if err := a.OnceRender(t.Context(), &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"# pd (pagerduty[0]): 2 events in 1 request\nPOST https://events.pagerduty.com/v2/enqueue\n",
		`"routing_key":"REDACTED","event_action":"trigger","dedup_key":"dcs/` + project + `/t-swap"`,
		"# am (alertmanager[0]): 2 events in 1 request\nPOST http://am.example:9093/api/v2/alerts\n",
		`"alertname":"DCSTaskFailed"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, env["PD_KEY"]) {
		t.Error("the routing key is in the rendering")
	}
}
