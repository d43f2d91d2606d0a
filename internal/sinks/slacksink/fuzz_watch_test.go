package slacksink

import (
	"testing"
	"time"

	"notifier/internal/event"
)

// FuzzRenderWatch renders a stuck task, a blind spot and its end from arbitrary names,
// statuses, causes and projects, alone and in a digest, and checks every message invariant.
func FuzzRenderWatch(f *testing.F) {
	for _, h := range hostile {
		h = clip(h, 1000)
		f.Add(h, h, "RUNNING", h, int64(3600))
	}
	f.Add("masterStandbySwapJob", "prod-eu", "RUNNING", "credentials refused", int64(-5))
	f.Fuzz(func(t *testing.T, name, projectName, status, reason string, secs int64) {
		since := clock.Add(-time.Hour)
		run := time.Duration(secs) * time.Second
		for _, e := range []event.Event{
			event.NewStuck(event.Stuck{ProjectID: projectName, Region: reason, TaskID: name, TaskName: name, Status: status,
				Running: run, Threshold: run / 2, Source: reason, DetectedAt: clock}),
			event.NewGap(event.Gap{ProjectID: reason, ProjectName: projectName, Region: status, BlindSince: since, Reason: reason, Escalated: secs%2 == 0, DetectedAt: clock}),
			event.NewRestored(event.Restored{ProjectID: reason, ProjectName: projectName, Region: status, BlindSince: since, BlindUntil: clock.Add(run), Complete: secs > 0, DetectedAt: clock}),
		} {
			msg := Render(&e, clock, event.DefaultStatuses())
			checkMessage(t, &msg)
			evs := make([]event.Event, digestOver+1)
			for i := range evs {
				evs[i] = e
			}
			digest := RenderDigest(evs, clock, event.DefaultStatuses())
			checkMessage(t, &digest)
		}
	})
}
