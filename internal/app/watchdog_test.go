package app_test

import (
	"net/http"
	"testing"
	"time"

	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/event"
	"notifier/internal/testkit/testutil"
)

// watchdogGapAfter is poll.gap_after in the watchdog's pipeline tests: short, so that a
// gap event that waited for the next poll (a minute of backoff or budget away) shows as a
// timeout of testutil.Eventually.
const watchdogGapAfter = 300 * time.Millisecond

// The gap event is judged on the watchdog's timer, whatever the polls are doing: it
// arrives within gap_after (plus a look every gap_after / 4) of the last successful poll,
// while the next poll is still a minute away, and its reason says what holds it.
func TestWatchdogAnnouncesEveryBlindSpotOnTime(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(p *pipeline)
		fault  *dcssim.Fault // injected once the pipeline has polled
		reason string
	}{
		{
			name:   "401 then a long backoff",
			setup:  func(p *pipeline) { p.cfg.Poll.MaxBackoff = config.Duration(time.Minute) },
			fault:  &dcssim.Fault{Status: http.StatusUnauthorized},
			reason: "credentials refused",
		},
		{
			name: "starved by the request budget",
			// One request a minute: the first poll goes at once, the next waits a minute.
			setup:  func(p *pipeline) { p.cfg.DCS.MaxRequestsPerSecond = 1.0 / 60 },
			reason: "request budget",
		},
		{
			name:   "a request that hangs",
			setup:  func(p *pipeline) { p.cfg.DCS.RequestTimeout = config.Duration(time.Minute) },
			fault:  &dcssim.Fault{Delay: time.Minute},
			reason: "no answer",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newPipeline(t, true)
			p.cfg.Poll.GapAfter = config.Duration(watchdogGapAfter)
			tc.setup(p)
			w := watch(t, p.ns.URL())
			stop, _ := p.start()
			defer stop()
			if tc.fault != nil {
				p.sim.InjectFault(*tc.fault)
			}
			testutil.Eventually(t, "a gap event", func() bool { evs, _ := w.of(event.TypeGap); return len(evs) > 0 })
			gaps, _ := w.of(event.TypeGap)
			g := gaps[0].Data
			late := gaps[0].Data.DetectedAt.Sub(g.BlindSince.Add(watchdogGapAfter))
			t.Logf("gap event: reason %q, judged %v after the deadline (a look every %v)", g.Reason, late, watchdogGapAfter/4)
			if g.Reason != tc.reason {
				t.Errorf("reason %q, want %q", g.Reason, tc.reason)
			}
			if late < 0 {
				t.Errorf("judged %v before the deadline", -late)
			}
			if restored, _ := w.of(event.TypeRestored); len(restored) != 0 {
				t.Errorf("restored before the next poll could have succeeded: %+v", restored[0].Data)
			}
		})
	}
}

// After a downtime longer than gap_after, a restart whose first polls fail announces the
// blind spot from the last successful poll kept with the state, not from the restart.
func TestWatchdogAfterARestartWithFailingPolls(t *testing.T) {
	p := newPipeline(t, true)
	p.cfg.Poll.GapAfter = config.Duration(watchdogGapAfter)
	p.cfg.Poll.MaxBackoff = config.Duration(100 * time.Millisecond)
	w := watch(t, p.ns.URL())
	stop, _ := p.start()
	stop()
	stopped := time.Now()
	<-time.After(2 * watchdogGapAfter) // the downtime: time must pass, nothing to wait for
	for range 10000 {
		p.sim.InjectFault(dcssim.Fault{Status: http.StatusServiceUnavailable})
	}
	restarted := time.Now()
	stop, _ = p.start()
	defer stop()
	testutil.Eventually(t, "a gap event", func() bool { evs, _ := w.of(event.TypeGap); return len(evs) > 0 })
	gaps, _ := w.of(event.TypeGap)
	g := gaps[0].Data
	t.Logf("gap event: blind since %v (stopped %v, restarted %v), reason %q", g.BlindSince, stopped, restarted, g.Reason)
	if g.BlindSince.After(stopped) {
		t.Errorf("blind since %v, after the stop at %v: the downtime is hidden", g.BlindSince, stopped)
	}
	if g.Reason != "API error (HTTP 503)" {
		t.Errorf("reason %q, want the failing polls' class", g.Reason)
	}
	if detected := g.DetectedAt; detected.Before(restarted) {
		t.Errorf("judged at %v, before the restart at %v", detected, restarted)
	}
}
