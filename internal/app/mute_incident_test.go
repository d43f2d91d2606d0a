package app

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"notifier/internal/config"
	"notifier/internal/event"
	rcv "notifier/internal/receiver"
	"notifier/internal/route"
	"notifier/internal/sinks/pagerduty"
	"notifier/internal/sinks/slacksink"
)

// Inside a maintenance window an on-call receiver still gets what may end an incident it
// opened before (a terminal status, a restored project); a Slack webhook gets nothing.
func TestMuteKeepsWhatMayResolveForOnCallReceivers(t *testing.T) {
	now := time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)
	cfg := &config.Config{
		Poll:      config.Poll{TerminalStatuses: event.DefaultTerminal()},
		Slack:     config.Slack{Webhooks: []slacksink.WebhookConfig{{Common: rcv.Common{Name: "team"}, URLEnv: "X"}}},
		PagerDuty: []pagerduty.Config{{Common: rcv.Common{Name: "pd", MinSeverity: "critical"}, RoutingKeyEnv: "Y"}},
		Mute: []config.Mute{{Name: "upgrade", From: now.Add(-time.Hour).Format(time.RFC3339),
			Until: now.Add(time.Hour).Format(time.RFC3339)}},
	}
	table, err := route.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := newMuter(table, func() time.Time { return now })
	ev := func(status string) *event.Event {
		raw, _ := json.Marshal(map[string]string{"id": "t1", "name": event.SwitchoverTask, "status": status})
		e := event.New(event.Transition{ProjectID: "p", Region: "cn-north-4", TaskID: "t1", TaskName: event.SwitchoverTask,
			Status: status, Task: raw, Seq: 1, DetectedAt: now})
		return &e
	}
	for _, c := range []struct {
		status string
		want   []string
	}{
		{"RUNNING", nil},
		{"SUCCESS", []string{"pd"}},
		{"FAILED", []string{"pd"}}, // it may end a stuck or switchover incident; the sink opens nothing muted
	} {
		e := ev(c.status)
		if got := m.Route(e); !slices.Equal(got, c.want) {
			t.Errorf("%s: routed to %v, want %v", c.status, got, c.want)
		}
		h, _ := m.take(e.ID)
		for _, v := range h.verdicts {
			if _, muted := v.Muted(); v.Receiver == "pd" && slices.Contains(c.want, "pd") && (!v.Deliver || !v.MayResolve || !muted) {
				t.Errorf("%s: pd %+v, want it delivered though a window holds it (not counted as muted)", c.status, v)
			}
		}
	}
	muted := incidentMuted(cfg, "pd")
	if muted == nil || !muted(ev("FAILED")) {
		t.Fatal("the on-call receiver is not told the event was muted")
	}
}
