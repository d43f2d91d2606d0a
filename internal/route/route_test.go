package route

import (
	"slices"
	"strings"
	"testing"

	"notifier/internal/config"
	"notifier/internal/event"
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
		{"info", config.Receiver{MinSeverity: "info"}, []bool{true, true, true}},
		{"warning", config.Receiver{MinSeverity: "warning"}, []bool{true, true, false}},
		{"critical", config.Receiver{MinSeverity: "critical"}, []bool{true, false, false}},
		{"task names", config.Receiver{TaskNames: []string{"EXTEND"}}, []bool{false, false, true}},
		{"task names are exact", config.Receiver{TaskNames: []string{"extend"}}, []bool{false, false, false}},
		{"statuses", config.Receiver{Statuses: []string{"FAILED", "FAIL"}}, []bool{true, false, false}},
		{"projects", config.Receiver{Projects: []string{other}}, []bool{false, false, true}},
		{"projects ignore case", config.Receiver{Projects: []string{strings.ToUpper(project)}}, []bool{true, true, false}},
		{"all together", config.Receiver{MinSeverity: "warning", TaskNames: []string{event.SwitchoverTask},
			Statuses: []string{"SUCCESS"}, Projects: []string{project}}, []bool{false, true, false}},
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
	_, err := NewFilter(config.Receiver{Key: "slack.webhooks[2]", MinSeverity: "loud"})
	if err == nil || !strings.HasPrefix(err.Error(), "slack.webhooks[2].min_severity: ") {
		t.Errorf("err = %v, want one naming slack.webhooks[2].min_severity", err)
	}
}

// The table routes by name, in the order of the config, and explains each refusal by the
// filter that refused.
func TestTableRoutesAndExplains(t *testing.T) {
	cfg := config.Default()
	cfg.Slack.Webhooks = []config.Webhook{
		{Name: "team", MinSeverity: "warning"},
		{Name: "oncall", Statuses: []string{"FAILED"}},
	}
	tab, err := New(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := tab.Route(&extend); !slices.Equal(got, []string{"nats"}) {
		t.Errorf("info event routed to %v, want [nats]", got)
	}
	if got := tab.Route(&swapFailed); !slices.Equal(got, []string{"nats", "team", "oncall"}) {
		t.Errorf("failed switchover routed to %v, want [nats team oncall]", got)
	}
	want := map[string]string{"nats": "", "team": "min_severity warning > info", "oncall": `statuses [FAILED] do not include "SUCCESS"`}
	for _, d := range tab.Explain(&extend) {
		if d.Reason != want[d.Name] || d.Match != (want[d.Name] == "") {
			t.Errorf("%s: match %v reason %q, want reason %q", d.Name, d.Match, d.Reason, want[d.Name])
		}
	}
}

// An on-call receiver gets what may end an incident it opened whatever its filter, and
// says so; what may open one still needs the filter.
func TestIncidentReceiversGetWhatMayResolve(t *testing.T) {
	cfg := config.Default()
	cfg.DCS.Projects = []config.Project{{ProjectID: project, Region: "cn-north-4"}}
	cfg.PagerDuty = []config.PagerDuty{{Name: "pd", MinSeverity: "critical", Projects: []string{project}}}
	cfg.Slack.Webhooks = []config.Webhook{{Name: "team", MinSeverity: "critical"}}
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
		if got := tab.Route(&tt.e); !slices.Equal(got, tt.want) {
			t.Errorf("%s: routed to %v, want %v", tt.name, got, tt.want)
		}
	}
	for _, d := range tab.Explain(&ok) {
		if d.Name == "pd" && (!d.Match || d.Reason != ResolveNote) {
			t.Errorf("pd: match %v reason %q, want a match noting %q", d.Match, d.Reason, ResolveNote)
		}
	}
}
