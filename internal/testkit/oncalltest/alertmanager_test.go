package oncalltest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"notifier/internal/testkit/testutil"
)

var t0 = time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)

// post sends alerts to f as the notifier does and wants them taken.
func post(t *testing.T, f *Alertmanager, alerts ...Alert) {
	t.Helper()
	for i := range alerts {
		alerts[i].Annotations = map[string]string{"summary": "s", "description": "d"}
	}
	b, err := json.Marshal(alerts)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(f.URL()+"/api/v2/alerts", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST answered %s", resp.Status)
	}
}

func alert(task string, starts time.Time, ends *time.Time) Alert {
	return Alert{Labels: map[string]string{"alertname": "DCSTaskFailed", "task_id": task}, StartsAt: &starts, EndsAt: ends}
}

func at(t time.Time) *time.Time { return &t }

func wantActive(t *testing.T, f *Alertmanager, now time.Time, want ...string) {
	t.Helper()
	if got := f.Active(now); !slices.Equal(got, want) {
		t.Fatalf("active at %s: %q, want %q", now.Format(time.TimeOnly), got, want)
	}
}

// An alert with endsAt stays active until then with no re-send, whatever resolve_timeout;
// a resolution (endsAt = now) ends it at once. As Alertmanager does.
func TestAlertmanagerKeepsAnAlertUntilItsEndsAt(t *testing.T) {
	f := NewAlertmanager(t, "")
	clk := testutil.NewClock(t0)
	f.SetClock(clk.Now)
	post(t, f, alert("t1", t0, at(t0.Add(20*time.Minute))))
	wantActive(t, f, t0.Add(19*time.Minute), "DCSTaskFailed t1")
	wantActive(t, f, t0.Add(20*time.Minute))

	// A re-send without endsAt does not cut short the end the sender set.
	clk.Add(time.Minute)
	post(t, f, alert("t1", t0, nil))
	wantActive(t, f, t0.Add(19*time.Minute), "DCSTaskFailed t1")

	clk.Add(time.Minute)
	post(t, f, alert("t1", t0, at(clk.Now())))
	wantActive(t, f, clk.Now())
	if n := f.Fired("DCSTaskFailed", "t1"); n != 1 {
		t.Fatalf("fired %d times, want 1", n)
	}
}

// An alert without endsAt ends resolve_timeout after it was last received; sent again
// after that, it fires anew.
func TestAlertmanagerResolvesAnAlertNotResentWithinResolveTimeout(t *testing.T) {
	f := NewAlertmanager(t, "")
	clk := testutil.NewClock(t0)
	f.SetClock(clk.Now)
	f.SetResolveTimeout(time.Minute)
	post(t, f, alert("t1", t0, nil))
	clk.Add(50 * time.Second)
	post(t, f, alert("t1", t0, nil)) // in time: still the same firing
	wantActive(t, f, clk.Now().Add(59*time.Second), "DCSTaskFailed t1")
	wantActive(t, f, clk.Now().Add(time.Minute))
	if n := f.Fired("DCSTaskFailed", "t1"); n != 1 {
		t.Fatalf("re-sent in time: fired %d times, want 1", n)
	}

	clk.Add(2 * time.Minute) // too late: it was resolved meanwhile
	post(t, f, alert("t1", t0, nil))
	wantActive(t, f, clk.Now(), "DCSTaskFailed t1")
	if n := f.Fired("DCSTaskFailed", "t1"); n != 2 {
		t.Fatalf("re-sent after its resolution: fired %d times, want 2", n)
	}
}
