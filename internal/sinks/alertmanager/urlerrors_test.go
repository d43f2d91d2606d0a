package alertmanager_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promtest "github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"notifier/internal/confkit"
	"notifier/internal/event"
	"notifier/internal/receiver"
	"notifier/internal/sinks/alertmanager"
	"notifier/internal/testkit/oncalltest"
	"notifier/internal/testkit/testutil"
)

// A failed task's alert carries its error_code as a label and the API's message as an
// annotation; other alerts carry neither.
func TestFailedTaskAlertCarriesTheError(t *testing.T) {
	am := oncalltest.NewAlertmanager(t, "")
	r := newRig(t, am.URL(), alertmanager.Auth{}, zerolog.Nop())
	am.SetClock(r.clk.Now)
	raw, _ := json.Marshal(map[string]any{"id": "t1", "name": event.SwitchoverTask, "status": "RUNNING", "error_code": "111400063"})
	running := event.New(event.Transition{ProjectID: proj, Region: "cn-north-4", TaskID: "t1", TaskName: event.SwitchoverTask,
		Status: "RUNNING", Task: raw, Seq: 1, DetectedAt: t0})
	r.send(t, running)
	if _, last := am.Posted(); last[0].Labels["error_code"] != "" || last[0].Annotations["error_message"] != "" {
		t.Fatalf("a running switchover's alert carries an error: %+v", last[0])
	}
	raw, _ = json.Marshal(map[string]any{"id": "t1", "name": event.SwitchoverTask, "status": "FAILED", "error_code": 111400082,
		"details": map[string]string{"error_msg": "The standby node is not ready"}})
	failed := event.New(event.Transition{ProjectID: proj, Region: "cn-north-4", TaskID: "t1", TaskName: event.SwitchoverTask,
		Status: "FAILED", PreviousStatus: "RUNNING", Task: raw, Seq: 2, DetectedAt: t0})
	r.send(t, failed)
	want(t, am.Active(t0), "DCSTaskFailed t1")
	_, last := am.Posted()
	a := last[len(last)-1]
	if a.Labels["alertname"] != "DCSTaskFailed" || a.Labels["error_code"] != "111400082" ||
		a.Annotations["error_message"] != "The standby node is not ready" ||
		!strings.Contains(a.Annotations["description"], "; error code 111400082: The standby node is not ready;") {
		t.Fatalf("failed alert %+v", a)
	}
}

// One of several Alertmanagers down: the others take the alerts, and the down one is
// counted by its URL, listed by FailingURLs and named in the log — its URL shown without
// the user info, never as <secret> — until a post to it succeeds.
func TestADownAlertmanagerIsCountedAndShownByURL(t *testing.T) {
	up := oncalltest.NewAlertmanager(t, "")
	down := httptest.NewServer(nil)
	downURL := down.URL
	down.Close()
	reg := prometheus.NewRegistry()
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "notifier_alertmanager_errors_total"}, []string{"receiver", "url"})
	reg.MustRegister(vec)
	var logs testutil.SyncBuffer
	clk := testutil.NewClock(t0)
	withUser := strings.Replace(downURL, "http://", "http://ops:pa55w0rd-x@", 1)
	s, err := alertmanager.New(alertmanager.Options{
		Config: alertmanager.Config{Common: receiver.Common{Name: "am", MinSeverity: "warning"}, URL: up.URL() + "," + withUser,
			ResendInterval: confkit.Duration(time.Minute), FailedTTL: confkit.Duration(24 * time.Hour)},
		Log: zerolog.New(&logs), Now: clk.Now, Errors: vec,
	})
	if err != nil {
		t.Fatal(err)
	}
	up.SetClock(clk.Now)
	if got := promtest.ToFloat64(vec.WithLabelValues("am", downURL)); got != 0 {
		t.Fatalf("before any post the down URL's errors = %v, want a series at 0", got)
	}
	r := &rig{s: s, mem: testutil.NewMemory(), clk: clk}
	r.send(t, task("t1", "EXTEND", "FAILED", "", t0))
	want(t, up.Active(t0), "DCSTaskFailed t1")
	clk.Add(time.Minute)
	r.tick(t)

	if got := promtest.ToFloat64(vec.WithLabelValues("am", downURL)); got != 2 {
		t.Errorf("errors of the down URL = %v, want 2", got)
	}
	if got := promtest.ToFloat64(vec.WithLabelValues("am", up.URL())); got != 0 {
		t.Errorf("errors of the up URL = %v, want 0", got)
	}
	f := s.FailingURLs()
	if len(f) != 1 || f[0].URL != downURL || f[0].Err == nil || !f[0].Since.Equal(t0) {
		t.Fatalf("FailingURLs = %+v, want %s failing since %s", f, downURL, t0)
	}
	out := logs.String()
	if !strings.Contains(out, "alertmanager 2 of 2 ("+downURL+"): post "+downURL+"/api/v2/alerts: ") ||
		strings.Contains(out, "<secret>") || strings.Contains(out, "pa55w0rd-x") || strings.Contains(out, "ops:") {
		t.Errorf("the warning does not name the down URL plainly, or shows its user info:\n%s", out)
	}
}
