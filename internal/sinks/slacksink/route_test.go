package slacksink

import (
	"strings"
	"testing"

	"notifier/internal/config"
	"notifier/internal/event"
)

func TestFilter(t *testing.T) {
	const other = "fedcba9876543210fedcba9876543210"
	swapFailed := event.Event{Data: event.Data{ProjectID: project, TaskName: event.SwitchoverTask, Status: "FAILED", Severity: event.Critical}}
	swapOK := event.Event{Data: event.Data{ProjectID: project, TaskName: event.SwitchoverTask, Status: "SUCCESS", Severity: event.Warning}}
	extend := event.Event{Data: event.Data{ProjectID: other, TaskName: "EXTEND", Status: "SUCCESS", Severity: event.Info}}
	tests := []struct {
		name string
		w    config.Webhook
		want []bool // swapFailed, swapOK, extend
	}{
		{"empty lets everything through", config.Webhook{}, []bool{true, true, true}},
		{"info", config.Webhook{MinSeverity: "info"}, []bool{true, true, true}},
		{"warning", config.Webhook{MinSeverity: "warning"}, []bool{true, true, false}},
		{"critical", config.Webhook{MinSeverity: "critical"}, []bool{true, false, false}},
		{"task names", config.Webhook{TaskNames: []string{"EXTEND"}}, []bool{false, false, true}},
		{"task names are exact", config.Webhook{TaskNames: []string{"extend"}}, []bool{false, false, false}},
		{"statuses", config.Webhook{Statuses: []string{"FAILED", "FAIL"}}, []bool{true, false, false}},
		{"projects", config.Webhook{Projects: []string{other}}, []bool{false, false, true}},
		{"projects ignore case", config.Webhook{Projects: []string{strings.ToUpper(project)}}, []bool{true, true, false}},
		{"all together", config.Webhook{MinSeverity: "warning", TaskNames: []string{event.SwitchoverTask},
			Statuses: []string{"SUCCESS"}, Projects: []string{project}}, []bool{false, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := newFilter(0, tt.w)
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range []event.Event{swapFailed, swapOK, extend} {
				if got := f.match(&e); got != tt.want[i] {
					t.Errorf("event %d (%s %s %s): match = %v, want %v", i, e.Data.TaskName, e.Data.Status, e.Data.Severity, got, tt.want[i])
				}
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	const secret = "https://hooks.slack.com/services/T0/B0/SECRETTOKEN"
	tests := []struct {
		name, want string
		o          Options
	}{
		{"severity", "slack.webhooks[2].min_severity", Options{Index: 2, URL: secret, Webhook: config.Webhook{MinSeverity: "loud"}}},
		{"no scheme", "slack.webhooks[1]: the webhook URL (from environment variable HOOK)",
			Options{Index: 1, URL: "hooks.slack.com/services/SECRETTOKEN", Webhook: config.Webhook{URLEnv: "HOOK"}}},
		{"bad scheme", "not an absolute http(s) URL", Options{URL: "ftp://x/SECRETTOKEN"}},
		{"unparsable", "not an absolute http(s) URL", Options{URL: "https://h/%zzSECRETTOKEN"}},
		{"empty", "not an absolute http(s) URL", Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "SECRETTOKEN") {
				t.Errorf("error shows the URL: %v", err)
			}
		})
	}
}
