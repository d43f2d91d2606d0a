package app_test

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"notifier/internal/config"
	"notifier/internal/receiver"
	"notifier/internal/sinks/alertmanager"
	"notifier/internal/testkit/oncalltest"
	"notifier/internal/testkit/testutil"
)

// An alert outlives a stop of the notifier of 2 × resend_interval: Alertmanager (with its
// default resolve_timeout, here equal to resend_interval) keeps it active during the whole
// downtime, and the re-send after the restart continues it rather than firing it anew.
// The downtime passes on the fake Alertmanager's clock, not by sleeping.
func TestAlertmanagerAlertOutlivesANotifierStop(t *testing.T) {
	const resend = 5 * time.Minute
	p := newPipeline(t, false)
	am := oncalltest.NewAlertmanager(t, "")
	var downtime atomic.Int64 // how far the fake's clock runs ahead of time.Now
	amNow := func() time.Time { return time.Now().Add(time.Duration(downtime.Load())) }
	am.SetClock(amNow)
	am.SetResolveTimeout(oncalltest.DefaultResolveTimeout)
	p.cfg.Alertmanager = []alertmanager.Config{{Common: receiver.Common{Name: "am", MinSeverity: "info", MaxPending: 100}, URL: am.URL(), ResendInterval: config.Duration(resend), FailedTTL: config.Duration(24 * time.Hour)}}
	const alert = "DCSTaskFailed t1"

	stop, _ := p.start()
	p.put("t1", "EXTEND", "FAILED")
	testutil.Eventually(t, "the alert", func() bool { return slices.Equal(am.Active(amNow()), []string{alert}) })
	stop()

	stoppedAt := amNow()
	for at := stoppedAt; !at.After(stoppedAt.Add(2 * resend)); at = at.Add(resend / 10) {
		if got := am.Active(at); !slices.Equal(got, []string{alert}) {
			t.Fatalf("%s into the stop Alertmanager has %q active, want %q", at.Sub(stoppedAt), got, alert)
		}
	}

	downtime.Store(int64(2 * resend))
	before := len(am.Posts())
	stop, _ = p.start()
	defer stop()
	testutil.Eventually(t, "the re-send after the restart", func() bool { return len(am.Posts()) > before })
	if got := am.Active(amNow()); !slices.Equal(got, []string{alert}) {
		t.Fatalf("after the restart Alertmanager has %q active, want %q", got, alert)
	}
	if n := am.Fired("DCSTaskFailed", "t1"); n != 1 {
		t.Fatalf("the alert fired %d times, want once: the restart fired it anew", n)
	}
}
