package route

import (
	"slices"
	"strings"
	"testing"
	"time"

	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/receiver"
	"notifier/internal/sinks/pagerduty"
	"notifier/internal/sinks/slacksink"
)

const (
	project = "0123456789abcdef0123456789abcdef"
	other   = "fedcba9876543210fedcba9876543210"
)

var (
	swapFailed = event.Event{Data: event.Data{ProjectID: project, TaskName: event.SwitchoverTask, Status: "FAILED", Severity: event.Critical}}
	swapOK     = event.Event{Data: event.Data{ProjectID: project, TaskName: event.SwitchoverTask, Status: "SUCCESS", Severity: event.Warning}}
	extend     = event.Event{Data: event.Data{ProjectID: other, TaskName: "EXTEND", Status: "SUCCESS", Severity: event.Info}}
)

func TestFilterMatch(t *testing.T) {
	tests := []struct {
		name string
		r    config.Receiver
		want []bool // swapFailed, swapOK, extend
	}{
		{"empty lets everything through", config.Receiver{}, []bool{true, true, true}},
		{"info", config.Receiver{Common: receiver.Common{MinSeverity: "info"}}, []bool{true, true, true}},
		{"warning", config.Receiver{Common: receiver.Common{MinSeverity: "warning"}}, []bool{true, true, false}},
		{"critical", config.Receiver{Common: receiver.Common{MinSeverity: "critical"}}, []bool{true, false, false}},
		{"task names", config.Receiver{Common: receiver.Common{TaskNames: []string{"EXTEND"}}}, []bool{false, false, true}},
		{"task names are exact", config.Receiver{Common: receiver.Common{TaskNames: []string{"extend"}}}, []bool{false, false, false}},
		{"statuses", config.Receiver{Common: receiver.Common{Statuses: []string{"FAILED", "FAIL"}}}, []bool{true, false, false}},
		{"projects", config.Receiver{Common: receiver.Common{Projects: []string{other}}}, []bool{false, false, true}},
		{"projects ignore case", config.Receiver{Common: receiver.Common{Projects: []string{strings.ToUpper(project)}}}, []bool{true, true, false}},
		{"all together", config.Receiver{Common: receiver.Common{MinSeverity: "warning", TaskNames: []string{event.SwitchoverTask}, Statuses: []string{"SUCCESS"}, Projects: []string{project}}}, []bool{false, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := NewFilter(tt.r)
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range []event.Event{swapFailed, swapOK, extend} {
				got, why := f.Match(&e)
				if got != tt.want[i] {
					t.Errorf("event %d (%s %s %s): match = %v, want %v", i, e.Data.TaskName, e.Data.Status, e.Data.Severity, got, tt.want[i])
				}
				if got == (why != "") {
					t.Errorf("event %d: match %v with reason %q: a refusal needs a reason, a match none", i, got, why)
				}
			}
		})
	}
}

func TestFilterRejectsAnUnknownSeverity(t *testing.T) {
	_, err := NewFilter(config.Receiver{Common: receiver.Common{MinSeverity: "loud"}, Key: "slack.webhooks[2]"})
	if err == nil || !strings.HasPrefix(err.Error(), "slack.webhooks[2].min_severity: ") {
		t.Errorf("err = %v, want one naming slack.webhooks[2].min_severity", err)
	}
}

// route is the names Decide delivers e to now (no window in these configurations).
func route(tab *Table, e *event.Event) []string { return To(tab.Decide(e, time.Now())) }

// The table routes by name, in the order of the config, and explains each refusal by the
// filter that refused.
func TestTableRoutesAndExplains(t *testing.T) {
	cfg := config.Default()
	cfg.Slack.Webhooks = []slacksink.WebhookConfig{
		{Common: receiver.Common{Name: "team", MinSeverity: "warning"}},
		{Common: receiver.Common{Name: "oncall", Statuses: []string{"FAILED"}}},
	}
	tab, err := New(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := route(tab, &extend); !slices.Equal(got, []string{"nats"}) {
		t.Errorf("info event routed to %v, want [nats]", got)
	}
	if got := route(tab, &swapFailed); !slices.Equal(got, []string{"nats", "team", "oncall"}) {
		t.Errorf("failed switchover routed to %v, want [nats team oncall]", got)
	}
	want := map[string]string{"nats": "", "team": "min_severity warning > info", "oncall": `statuses [FAILED] do not include "SUCCESS"`}
	for _, v := range tab.Decide(&extend, time.Now()) {
		h, held := v.Held()
		if h.Detail != want[v.Receiver] || v.Deliver != (want[v.Receiver] == "") || held == v.Deliver {
			t.Errorf("%s: deliver %v hold %+v, want reason %q", v.Receiver, v.Deliver, h, want[v.Receiver])
		}
		if held && (h.Cause != Filtered || h.String() != "filtered ("+want[v.Receiver]+")") {
			t.Errorf("%s: held as %q, want filtered", v.Receiver, h)
		}
	}
}

// An on-call receiver gets what may end an incident it opened whatever its filter, and
// says so; what may open one still needs the filter.
func TestIncidentReceiversGetWhatMayResolve(t *testing.T) {
	cfg := config.Default()
	cfg.DCS.Projects = []config.Project{{ProjectID: project, Region: "cn-north-4"}}
	cfg.PagerDuty = []pagerduty.Config{{Common: receiver.Common{Name: "pd", MinSeverity: "critical", Projects: []string{project}}}}
	cfg.Slack.Webhooks = []slacksink.WebhookConfig{{Common: receiver.Common{Name: "team", MinSeverity: "critical"}}}
	tab, err := New(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	running := event.Event{Type: event.TypeStatusChanged, Data: event.Data{ProjectID: project, TaskName: event.SwitchoverTask, Status: "RUNNING", Severity: event.Warning}}
	restored := event.Event{Type: event.TypeRestored, Data: event.Data{ProjectID: other, Severity: event.Info}}
	ok := swapOK
	ok.Type = event.TypeStatusChanged
	otherOK := extend
	otherOK.Type = event.TypeStatusChanged
	for _, tt := range []struct {
		name string
		e    event.Event
		want []string
	}{
		{"a failure matches", swapFailed, []string{"nats", "team", "pd"}},
		{"a success below min_severity may resolve", ok, []string{"nats", "pd"}},
		{"so may one of another project", otherOK, []string{"nats", "pd"}},
		{"a restored event may resolve", restored, []string{"nats", "pd"}},
		{"a running switchover below min_severity does not", running, []string{"nats"}},
	} {
		if got := route(tab, &tt.e); !slices.Equal(got, tt.want) {
			t.Errorf("%s: routed to %v, want %v", tt.name, got, tt.want)
		}
	}
	if v, _ := tab.DecideFor("pd", &ok, time.Now()); !v.Deliver || !v.MayResolve || len(v.Holds) != 1 || v.Holds[0].Cause != Filtered {
		t.Errorf("pd: %+v, want a delivery that may resolve, held by its filter", v)
	}
	if v, _ := tab.DecideFor("team", &ok, time.Now()); v.Deliver || v.MayResolve {
		t.Errorf("team, not on call: %+v, want no delivery", v)
	}
}

// A test event goes to every receiver, whatever its filter and the windows: it checks
// the way to each one.
func TestTestEventsGoEverywhere(t *testing.T) {
	cfg := config.Default()
	cfg.DCS.Projects = []config.Project{{ProjectID: project, Region: "cn-north-4"}}
	cfg.PagerDuty = []pagerduty.Config{{Common: receiver.Common{Name: "pd", MinSeverity: "critical"}}}
	cfg.Slack.Webhooks = []slacksink.WebhookConfig{{Common: receiver.Common{Name: "team", MinSeverity: "critical", TaskNames: []string{"EXTEND"}}}}
	cfg.Mute = []config.Mute{{Name: "all", Start: "00:00", End: "24:00"}}
	tab, err := New(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := event.NewTest("cn-north-4", project, "", time.Now())
	for _, v := range tab.Decide(&e, time.Now()) {
		if !v.Deliver || len(v.Holds) > 0 {
			t.Errorf("%s: %+v, want the test event delivered", v.Receiver, v)
		}
	}
	real := swapFailed
	if got := route(tab, &real); !slices.Equal(got, []string{"nats"}) {
		t.Errorf("a real event inside the window routed to %v, want [nats]", got)
	}
}
