package app_test

import (
	"encoding/json"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"notifier/internal/config"
	"notifier/internal/receiver"
	"notifier/internal/sinks/alertmanager"
	"notifier/internal/status"
	"notifier/internal/testkit/oncalltest"
	"notifier/internal/testkit/testutil"
)

// One of two Alertmanagers down: the alert reaches the other, and the down one is counted
// by its URL in notifier_alertmanager_errors_total and listed under its receiver on the
// status page, by its URL and an error class.
func TestADownAlertmanagerShowsInMetricsAndOnTheStatusPage(t *testing.T) {
	p := newPipeline(t, false)
	up := oncalltest.NewAlertmanager(t, "")
	gone := httptest.NewServer(nil)
	down := gone.URL
	gone.Close()
	p.cfg.Alertmanager = []alertmanager.Config{{Common: receiver.Common{Name: "am", MinSeverity: "info", MaxPending: 100},
		URL: up.URL() + "," + down, ResendInterval: config.Duration(time.Minute), FailedTTL: config.Duration(24 * time.Hour)}}
	p.cfg.HTTP.Listen = testutil.FreePort(t)
	stop, reg := p.start()
	defer stop()
	p.put("t1", "EXTEND", "FAILED")
	testutil.Eventually(t, "the alert in the Alertmanager that is up", func() bool {
		return slices.Equal(up.Active(time.Now()), []string{"DCSTaskFailed t1"})
	})
	// The URLs are posted to in turn: the down one's failure follows the alert.
	testutil.Eventually(t, "the down Alertmanager counted", func() bool {
		n, _ := testutil.Series(t, reg, "notifier_alertmanager_errors_total", map[string]string{"receiver": "am", "url": down})
		return n >= 1
	})
	if n, ok := testutil.Series(t, reg, "notifier_alertmanager_errors_total", map[string]string{"receiver": "am", "url": up.URL()}); !ok || n != 0 {
		t.Errorf("notifier_alertmanager_errors_total of %s = %v (%v), want a series at 0", up.URL(), n, ok)
	}
	_, body := fetch(t, "http://"+p.cfg.HTTP.Listen+"/status?format=json")
	var page status.Page
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		t.Fatal(err)
	}
	var am *status.Receiver
	for i := range page.Receivers {
		if page.Receivers[i].Name == "am" {
			am = &page.Receivers[i]
		}
	}
	if am == nil || len(am.FailingURLs) != 1 || am.FailingURLs[0].URL != down || am.FailingURLs[0].Error != "unreachable (connection refused)" ||
		am.FailingURLs[0].Since == nil {
		t.Fatalf("receiver am on the status page = %+v, want %s failing as unreachable", am, down)
	}
}
