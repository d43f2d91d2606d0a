package alertmanager_test

import (
	"net/http"
	"testing"

	"github.com/rs/zerolog"

	"notifier/internal/sinks/alertmanager"
	"notifier/internal/testkit/oncalltest"
)

// The alerts of a project no longer watched are ended once by a tick (endsAt = now) and
// then forgotten, never re-sent as active; a watched project's alerts are re-sent. An
// ending Alertmanager does not take is kept and tried again at the next tick.
func TestTickEndsTheAlertsOfAProjectNoLongerWatched(t *testing.T) {
	am := oncalltest.NewAlertmanager(t, "")
	r := newRig(t, am.URL(), alertmanager.Auth{}, zerolog.Nop())
	const other = "fedcba9876543210fedcba9876543210"
	kept := task("t2", "EXTEND", "FAILED", "", t0)
	kept.Data.ProjectID = other
	r.send(t, task("t1", "EXTEND", "FAILED", "", t0), kept)
	r.mem.Unwatch(proj)
	before := len(am.Posts())

	am.FailNext(http.StatusServiceUnavailable) // Alertmanager down: the tick stops at its first post
	if err := r.s.Tick(t.Context(), r.mem); err == nil {
		t.Fatal("Tick = nil, want Alertmanager's 503")
	}
	if r.mem.Len(proj) != 1 {
		t.Fatalf("an ending Alertmanager did not take was forgotten: %v", r.mem.Recollect()[proj])
	}
	r.tick(t)
	r.tick(t)
	want(t, am.Active(r.clk.Now()), "DCSTaskFailed t2")
	if r.mem.Len(proj) != 0 {
		t.Fatalf("the alerts of the project no longer watched are still remembered: %v", r.mem.Recollect()[proj])
	}
	ended, resent := 0, 0
	for _, post := range am.Posts()[before:] {
		for _, a := range post {
			switch {
			case a.Labels["project_id"] != proj:
			case a.EndsAt == nil:
				resent++
			case a.EndsAt.Equal(r.clk.Now()):
				ended++
			}
		}
	}
	if ended != 1 || resent != 0 {
		t.Fatalf("the alert of the project no longer watched was ended %d times and re-sent as active %d times, want ended once", ended, resent)
	}
}
