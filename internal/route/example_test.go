package route

import (
	"slices"
	"testing"
	"time"

	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/receiver"
	"notifier/internal/sinks/slacksink"
)

// switchoverPager is "page on a switchover that failed or got stuck, and on a blind spot —
// nothing else" as one receiver's filters, on a pager and on a Slack webhook alike.
const switchoverPager = `
min_severity = "warning"
event_types = ["task", "stuck", "gap"]
task_names = ["masterStandbySwapJob"]
statuses = ["FAILED"]
`

func TestTheSwitchoverPager(t *testing.T) {
	cfg, err := config.Load([]byte(`
[[dcs.projects]]
region = "cn-north-4"
project_id = "` + project + `"
name = "prod-cn"

[[slack.webhooks]]
name = "hook"
url_env = "HOOK"
` + switchoverPager + `
[[pagerduty]]
name = "pd"
routing_key_env = "PD_KEY"
` + switchoverPager))
	if err != nil {
		t.Fatal(err)
	}
	tab, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	task := func(name, status string) event.Event {
		return event.New(event.Transition{ProjectID: project, Region: "cn-north-4", TaskID: "t", TaskName: name, Status: status, Seq: 2, PreviousStatus: "RUNNING"})
	}
	stuck := func(name string) event.Event {
		return event.NewStuck(event.Stuck{ProjectID: project, Region: "cn-north-4", TaskID: "t", TaskName: name, Status: "RUNNING",
			Running: time.Hour, Threshold: 15 * time.Minute, Source: event.ThresholdConfigured})
	}
	since := time.Now().Add(-time.Hour)
	for _, tt := range []struct {
		name string
		e    event.Event
		page bool // delivered to both, not merely as what may resolve
	}{
		{"a failed switchover", task(event.SwitchoverTask, "FAILED"), true},
		{"a stuck switchover", stuck(event.SwitchoverTask), true},
		{"a blind spot", event.NewGap(event.Gap{ProjectID: project, Region: "cn-north-4", BlindSince: since}), true},
		{"an escalated blind spot", event.NewGap(event.Gap{ProjectID: project, Region: "cn-north-4", BlindSince: since, Escalated: true}), true},
		{"a succeeded switchover", task(event.SwitchoverTask, "SUCCESS"), false},
		{"a running switchover", task(event.SwitchoverTask, "RUNNING"), false},
		{"a failed spec change", task("EXTEND", "FAILED"), false},
		{"a stuck spec change", stuck("EXTEND"), false},
		{"a test notification", event.NewTest("cn-north-4", project, "prod-cn", time.Now()), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			vs := tab.Decide(&tt.e, time.Now())
			for _, v := range vs[1:] { // after nats
				if pages := v.Deliver && !v.MayResolve; pages != tt.page {
					t.Errorf("%s: %+v, want it to page: %v", v.Receiver, v, tt.page)
				}
			}
			if got := To(vs); tt.page && !slices.Equal(got, []string{"nats", "hook", "pd"}) {
				t.Errorf("routed to %v", got)
			}
		})
	}
	// What ends an incident the pager opened still reaches it, not the Slack webhook.
	ok := task(event.SwitchoverTask, "SUCCESS")
	if v, _ := tab.DecideFor("pd", &ok, time.Now()); !v.Deliver || !v.MayResolve {
		t.Errorf("pd and a succeeded switchover: %+v, want it delivered as what may resolve", v)
	}
	restored := event.NewRestored(event.Restored{ProjectID: project, Region: "cn-north-4", BlindSince: since, BlindUntil: time.Now(), Complete: true})
	if v, _ := tab.DecideFor("hook", &restored, time.Now()); v.Deliver {
		t.Errorf("hook and a complete restore (info): %+v, want min_severity to keep it", v)
	}
}

// Decide asks a test event event_types alone: a receiver leaving test out is held by its
// filter, with why, and the windows do not matter.
func TestATestEventIsAskedEventTypesAlone(t *testing.T) {
	cfg := config.Default()
	cfg.DCS.Projects = []config.Project{{ProjectID: project, Region: "cn-north-4"}}
	cfg.Slack.Webhooks = []slacksink.WebhookConfig{
		{Common: receiver.Common{Name: "tests", EventTypes: []string{"test"}, Regions: []string{"eu-west-0"}}},
		{Common: receiver.Common{Name: "no-tests", EventTypes: []string{"task"}}},
	}
	cfg.Mute = []config.Mute{{Name: "all", Start: "00:00", End: "24:00"}}
	tab, err := New(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := event.NewTest("cn-north-4", project, "", time.Now())
	vs := tab.Decide(&e, time.Now())
	if got := To(vs); !slices.Equal(got, []string{"nats", "tests"}) {
		t.Errorf("routed to %v, want [nats tests]", got)
	}
	if h, _ := vs[2].Held(); h.String() != "filtered (event_types [task] do not include test (com.huaweicloud.dcs.notifier.test))" {
		t.Errorf("no-tests held as %q", h)
	}
}
