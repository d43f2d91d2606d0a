package poller

import (
	"testing"
	"time"

	"notifier/internal/dcssim"
	"notifier/internal/event"
)

// The notifier is down for three days (lookback 24h); when it starts again the API fails
// for a while (long enough for a gap event), then answers. The project was not read from
// its last successful poll before the downtime until then: the restored event must say
// changes may have been missed (as it does when the API answers at once after the
// downtime, TestRestartAfterDowntimeNeverAnnouncesTasksOutsideLookback), and its blind
// spot must start at that last poll, not at the first try after the restart.
func TestGapAfterRestartStartsAtTheLastSuccessfulPoll(t *testing.T) {
	now := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	before := now
	e := newEnv(t, setup{}, func(o *Options) {
		o.Now = func() time.Time { return now }
		o.GapAfter = 5 * time.Minute
	})
	e.cycle(t) // baseline: the state's last_ok is now
	// A task is created and fails during the downtime; it is outside the window after it.
	e.put("swap-day2", "masterStandbySwapJob", "FAILED", now.Add(48*time.Hour))
	// Restart three days later: a new poller over the same ledger.
	now = now.Add(72 * time.Hour)
	p2 := mustNew(t, Options{Policy: e.p.policy, PageSize: 1000, Interval: time.Minute, ActiveInterval: time.Second,
		MaxBackoff: time.Minute, Lister: e.p.lister, Ledger: e.ledger, Log: e.p.log, Metrics: e.m,
		Now: func() time.Time { return now }})
	for range 3 { // the API fails for 10 minutes
		e.sim.InjectFault(dcssim.Fault{Status: 503})
		if _, err := p2.Cycle(t.Context()); err == nil {
			t.Fatal("the poll succeeded despite the fault")
		}
		now = now.Add(5 * time.Minute)
	}
	gap := e.ledger.Project(project).Gap
	if gap == nil {
		t.Fatal("no blind spot announced")
	}
	t.Logf("gap announced, blind since %s (last successful poll %s)", time.UnixMilli(gap.Since).UTC(), before)
	res, err := p2.Cycle(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	r := restored(res)
	if r == nil {
		t.Fatal("no restored event")
	}
	t.Logf("restored: blind since %s, complete %v, severity %s", r.Data.BlindSince, *r.Data.Complete, r.Data.Severity)
	if *r.Data.Complete || r.Data.Severity != event.Warning {
		t.Errorf("restored event says nothing was missed (complete %v, severity %s) after 3 days unread with a 24h lookback", *r.Data.Complete, r.Data.Severity)
	}
	if !r.Data.BlindSince.Equal(before) {
		t.Errorf("blind since %s, want the last successful poll %s", r.Data.BlindSince, before)
	}
}
