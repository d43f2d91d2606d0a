package app_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/event"
	"notifier/internal/receiver"
	"notifier/internal/sinks/alertmanager"
	"notifier/internal/sinks/pagerduty"
	"notifier/internal/sinks/slacksink"
	"notifier/internal/testkit/oncalltest"
	"notifier/internal/testkit/slackfake"
	"notifier/internal/testkit/testutil"
)

// TestRenderSwitchoverInEveryKindSaysSwitchoverAndItsAPIName: a switchover that starts and
// fails, sent through the real pipeline to every kind of message — a Slack webhook, a live
// Slack card and its thread replies, PagerDuty and Alertmanager — reads "switchover" (the
// vendor's word) and names the task masterStandbySwapJob (its API name, which task_names,
// NATS subjects and the API use), so a search for either finds every one; the failure
// also carries the API's error code and message. The event's data.task.name stays raw.
func TestRenderSwitchoverInEveryKindSaysSwitchoverAndItsAPIName(t *testing.T) {
	const (
		code = "111400082"
		msg  = "The standby node is not ready"
	)
	p := newPipeline(t, false)
	hook, hookURL := newHook(t)
	api := slackfake.New(t, cardToken)
	pd := oncalltest.NewPagerDuty(t)
	am := oncalltest.NewAlertmanager(t, "")
	all := receiver.Common{MinSeverity: "warning", MaxPending: 100}
	named := func(n string) receiver.Common { c := all; c.Name = n; return c }
	p.cfg.Slack.Webhooks = []slacksink.WebhookConfig{{Common: named("hook"), URLEnv: "HOOK"}}
	p.cfg.Slack.Channels = []slacksink.ChannelConfig{{Common: named("live"), BotTokenEnv: "SLACK_BOT_TOKEN", Channel: "C0000000001", APIURL: api.APIURL(), ThreadReplies: true}}
	p.cfg.PagerDuty = []pagerduty.Config{{Common: named("pd"), RoutingKeyEnv: "PD_KEY", URL: pd.URL()}}
	p.cfg.Alertmanager = []alertmanager.Config{{Common: named("am"), URL: am.URL(), ResendInterval: config.Duration(time.Hour), FailedTTL: config.Duration(time.Hour)}}
	env := map[string]string{"CLOUD_SDK_AK": pipeAK, "CLOUD_SDK_SK": pipeSK, "HOOK": hookURL,
		"SLACK_BOT_TOKEN": cardToken, "PD_KEY": oncalltest.RoutingKey}
	deps := p.deps(prometheus.NewRegistry())
	deps.Getenv = func(k string) string { return env[k] }
	posted := func() int {
		hook.mu.Lock()
		defer hook.mu.Unlock()
		return len(hook.bodies)
	}
	collected := collect(t, p.ns.URL())
	stop := p.startWith(deps)
	defer stop()

	swap := dcssim.Task{ID: "swap", Name: event.SwitchoverTask, Status: "RUNNING", CreatedAt: time.Now().UTC(), UserName: "ops",
		JobID: "job-swap", Extra: map[string]any{"instance_id": "inst-1"}}
	p.sim.Put(pipeProject, swap)
	testutil.Eventually(t, "the running switchover everywhere", func() bool {
		return posted() == 1 && len(api.Top("C0000000001")) == 1 &&
			len(pd.Events()) == 1 && slices.Equal(am.Active(time.Now()), []string{"DCSSwitchover swap"})
	})
	swap.Status, swap.ErrorCode, swap.UpdatedAt = "FAILED", code, time.Now().UTC()
	swap.Extra = map[string]any{"instance_id": "inst-1", "error_msg": msg}
	p.sim.Put(pipeProject, swap)
	testutil.Eventually(t, "the failure everywhere", func() bool {
		top := api.Top("C0000000001")
		return posted() == 2 && len(top) == 1 && top[0].Updates == 1 && len(api.Replies(top[0].TS)) == 1 &&
			len(pd.Events()) == 2 && slices.Equal(am.Active(time.Now()), []string{"DCSTaskFailed swap"})
	})
	collected.wait(t, "swap:>RUNNING", "swap:RUNNING>FAILED")
	stop()

	// says checks one message: the vendor's word, the API name, and on a failure the error.
	says := func(kind, text string, failed bool) {
		t.Helper()
		want := []string{"switchover", event.SwitchoverTask}
		if failed {
			want = append(want, "Master/standby switchover failed", code, msg)
		}
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s does not say %q:\n%s", kind, w, text)
			}
		}
		if strings.Contains(text, "Switching master and standby") {
			t.Errorf("%s has the old wording:\n%s", kind, text)
		}
	}

	hook.mu.Lock()
	bodies := slices.Clone(hook.bodies)
	hook.mu.Unlock()
	for i, b := range bodies {
		says(fmt.Sprintf("Slack webhook message %d", i+1), b, i == 1)
		if !strings.Contains(b, `"*Task*\n`+"`masterStandbySwapJob`") {
			t.Errorf("Slack webhook message %d has no Task fact:\n%s", i+1, b)
		}
	}

	top := api.Top("C0000000001")
	card, _ := json.Marshal(top[0])
	says("Slack card", string(card), true)
	reply, _ := json.Marshal(api.Replies(top[0].TS)[0])
	says("Slack thread reply", string(reply), false)

	for i, e := range pd.Events() {
		if e.Payload == nil {
			t.Fatalf("PagerDuty event %d is a %s, want a trigger", i+1, e.EventAction)
		}
		d := e.Payload.CustomDetails
		if d["task_name"] != event.SwitchoverTask {
			t.Errorf("PagerDuty event %d: custom_details.task_name %v", i+1, d["task_name"])
		}
		b, _ := json.Marshal(e.Payload)
		says(fmt.Sprintf("PagerDuty event %d", i+1), string(b), i == 1)
		if !strings.Contains(e.Payload.Summary, "Master/standby switchover") {
			t.Errorf("PagerDuty event %d: summary %q, want the label", i+1, e.Payload.Summary)
		}
		if i == 1 && (d["error_code"] != code || d["error_message"] != msg) {
			t.Errorf("PagerDuty failure: custom_details %v, want error_code and error_message", d)
		}
	}

	posts := am.Posts()
	var switchover, failed *oncalltest.Alert
	for _, post := range posts {
		for i := range post {
			switch post[i].Labels["alertname"] {
			case "DCSSwitchover":
				switchover = &post[i]
			case "DCSTaskFailed":
				failed = &post[i]
			}
		}
	}
	if switchover == nil || failed == nil {
		t.Fatalf("Alertmanager got %v, want a DCSSwitchover and a DCSTaskFailed alert", posts)
	}
	for kind, a := range map[string]*oncalltest.Alert{"Alertmanager DCSSwitchover": switchover, "Alertmanager DCSTaskFailed": failed} {
		if a.Labels["task_name"] != event.SwitchoverTask || !strings.HasPrefix(a.Annotations["description"], "Task: "+event.SwitchoverTask+";") {
			t.Errorf("%s: labels %v, description %q: want the API name in both", kind, a.Labels, a.Annotations["description"])
		}
		if !strings.Contains(a.Annotations["summary"], "Master/standby switchover") {
			t.Errorf("%s: summary %q, want the label", kind, a.Annotations["summary"])
		}
	}
	says("Alertmanager DCSSwitchover", switchover.Annotations["summary"]+"\n"+switchover.Annotations["description"], false)
	says("Alertmanager DCSTaskFailed", failed.Annotations["summary"]+"\n"+failed.Annotations["description"], true)
	if failed.Labels["error_code"] != code || failed.Annotations["error_message"] != msg {
		t.Errorf("Alertmanager DCSTaskFailed: labels %v, annotations %v: want error_code and error_message", failed.Labels, failed.Annotations)
	}
}
