package poller

import (
	"testing"
	"time"
)

// The reason a gap event gives is what holds the project now: a request that has waited
// (for the budget or an answer) names itself, but a retry after failed polls does not hide
// what they failed with unless it alone has waited gap_after.
func TestGapReasonSaysWhatHoldsTheProject(t *testing.T) {
	now := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	const gapAfter = time.Minute
	cases := []struct {
		name    string
		phase   int32
		failing bool    // the last poll failed (with "credentials refused")
		pending float64 // how long the current request has waited, in gap_after
		waiting bool    // for the credential's budget
		want    string
	}{
		{name: "started, never polled", phase: phaseStart, want: "not polled since start"},
		{name: "backing off after a refusal", phase: phaseBackoff, failing: true, want: "credentials refused"},
		{name: "retry just begun, waiting for the budget", phase: phaseRequest, failing: true, pending: 0.1, waiting: true, want: "credentials refused"},
		{name: "retry just sent", phase: phaseRequest, failing: true, pending: 0.1, want: "credentials refused"},
		{name: "retry waiting a while for the budget", phase: phaseRequest, failing: true, pending: 0.9, waiting: true, want: "credentials refused"},
		{name: "retry waiting gap_after for the budget", phase: phaseRequest, failing: true, pending: 1, waiting: true, want: "request budget"},
		{name: "retry unanswered for gap_after", phase: phaseRequest, failing: true, pending: 1, want: "no answer"},
		{name: "starved after a success", phase: phaseRequest, pending: 0.1, waiting: true, want: "request budget"},
		{name: "a request that hangs", phase: phaseRequest, pending: 1, want: "no answer"},
		{name: "between polls", phase: phaseWait, want: "not polled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, setup{}, func(o *Options) {
				o.Now = func() time.Time { return now }
				o.GapAfter = gapAfter
			})
			p := e.p
			if tc.failing {
				p.ended(now, "credentials refused")
				p.watch.failed()
			}
			p.watch.phase.Store(tc.phase)
			p.watch.sent.Store(now.Add(-time.Duration(tc.pending * float64(gapAfter))).UnixMilli())
			p.watch.progress.Mark(tc.waiting)
			if got := p.reason(); got != tc.want {
				t.Errorf("reason %q, want %q", got, tc.want)
			}
		})
	}
}
