package poller

import (
	"net/http"
	"testing"
	"time"

	"notifier/internal/dcssim"
)

// What the status page shows of a project: the class of its last failure, kept after a
// success, and the requests its last committed poll made.
func TestLastFailureAndRequestsPerPoll(t *testing.T) {
	e := newEnv(t, setup{}, func(o *Options) { o.PageSize = 2 })
	now := time.Now()
	for _, id := range []string{"a", "b", "c"} {
		e.put(id, "EXTEND", "SUCCESS", now.Add(-time.Minute))
	}
	if e.p.LastFailure() != nil || e.p.RequestsPerPoll() != 0 {
		t.Fatalf("before any poll: failure %v, requests %d", e.p.LastFailure(), e.p.RequestsPerPoll())
	}
	e.sim.InjectFault(dcssim.Fault{Status: http.StatusUnauthorized})
	if _, err := e.p.Cycle(t.Context()); err == nil {
		t.Fatal("Cycle succeeded against a refusing API")
	}
	if f := e.p.LastFailure(); f == nil || f.Reason != "credentials refused" || f.At.IsZero() {
		t.Fatalf("LastFailure = %+v, want credentials refused", f)
	}
	e.cycle(t)
	if got := e.p.RequestsPerPoll(); got != 2 {
		t.Errorf("RequestsPerPoll = %d, want 2 (3 tasks, pages of 2)", got)
	}
	if f := e.p.LastFailure(); f == nil || f.At.After(e.p.LastSuccess()) {
		t.Errorf("after a success: LastFailure = %+v, want the older failure kept", f)
	}
}
