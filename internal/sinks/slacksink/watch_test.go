package slacksink

import (
	"strings"
	"testing"
	"time"

	"notifier/internal/event"
)

// Stuck tasks and blind spots read as what they are, with the project's name when it has
// one, and stay within Slack's limits.
func TestWatchEventsRender(t *testing.T) {
	now := time.Date(2026, 12, 1, 3, 22, 0, 0, time.UTC)
	since := time.Date(2026, 12, 1, 3, 2, 0, 0, time.UTC)
	named := func(e event.Event) event.Event { e.Data.ProjectName = "prod-eu"; return e }
	for _, tc := range []struct {
		name string
		e    event.Event
		want []string
	}{
		{"stuck", named(event.NewStuck(event.Stuck{ProjectID: project, Region: "cn-north-4", TaskID: "t1", TaskName: event.SwitchoverTask,
			Status: "RUNNING", Task: []byte(`{"id":"t1","name":"masterStandbySwapJob","status":"RUNNING"}`), Running: 40 * time.Minute,
			Threshold: 15 * time.Minute, Source: event.ThresholdConfigured, DetectedAt: now})),
			[]string{"⏳", "stuck", "RUNNING for 40m0s", "15m0s", "configured", "prod-eu"}},
		{"gap", named(event.NewGap(event.Gap{ProjectID: project, Region: "cn-north-4", BlindSince: since, Reason: "credentials refused", DetectedAt: now})),
			[]string{"👁 *prod-eu not watched* since 03:02 UTC (credentials refused)"}},
		{"gap escalated", event.NewGap(event.Gap{ProjectID: project, Region: "cn-north-4", BlindSince: since, Escalated: true, DetectedAt: now}),
			[]string{"🔴", "not watched", "still blind", project}},
		{"restored", named(event.NewRestored(event.Restored{ProjectID: project, Region: "cn-north-4", BlindSince: since, BlindUntil: now.Add(-10 * time.Minute), Complete: true, DetectedAt: now})),
			[]string{"Watching *prod-eu* again after 10m0s — nothing missed"}},
		{"restored incomplete", named(event.NewRestored(event.Restored{ProjectID: project, Region: "cn-north-4", BlindSince: since, BlindUntil: now, DetectedAt: now})),
			[]string{"may have been missed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := Render(&tc.e, now, event.DefaultStatuses())
			all := m.Text + "\n" + texts(&m)
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("message lacks %q:\n%s", w, all)
				}
			}
			if strings.Contains(all, "Unnamed task") || strings.Contains(all, "STATUS UNKNOWN") {
				t.Errorf("rendered as a task transition:\n%s", all)
			}
			d := RenderDigest(append(make([]event.Event, 0, 12), tc.e, tc.e), now, event.DefaultStatuses())
			if dt := texts(&d); strings.Contains(dt, "Unnamed task") {
				t.Errorf("digest renders it as a task transition:\n%s", dt)
			}
		})
	}
}
