package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"notifier/internal/app"
	"notifier/internal/status"
	"notifier/internal/testkit/testutil"
	"notifier/internal/web"

	"github.com/rs/zerolog"
)

// runApp runs a until the test ends.
func runApp(t *testing.T, a *app.App) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// A DCS outage is not "not ready": /readyz answers 200 with the outage in its detail
// (upstream degraded, the project named, its error class), and /healthz stays 200. Taking
// the pod out of its Service would hide its metrics when the alerts on them must fire.
func TestReadyzDuringDCSOutage(t *testing.T) {
	cfg, deps := runConfig(t)
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close() // the API is unreachable: connections are refused
	cfg.DCS.Projects[0].Endpoint = down.URL
	cfg.HTTP.Listen = ""
	a, err := app.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	runApp(t, a)
	h := web.Handler(a, zerolog.Nop())
	var r status.Readiness
	testutil.Eventually(t, "a failed poll in /readyz", func() bool {
		_, r, _ = readyz(t, h)
		return r.Projects[0].Result == "error"
	})
	code, r, _ := readyz(t, h)
	if code != http.StatusOK || r.Status != "ready" || len(r.Reasons) != 0 {
		t.Errorf("/readyz during a DCS outage = %d %q %v, want 200 ready", code, r.Status, r.Reasons)
	}
	if r.Upstream != "degraded" || !slices.Contains(r.Problems, "project "+project+": no successful poll yet") ||
		r.Projects[0].Error == nil || *r.Projects[0].Error != "unreachable" {
		t.Errorf("/readyz detail = upstream %q, problems %v, project %+v; want degraded, the project named, unreachable",
			r.Upstream, r.Problems, r.Projects[0])
	}
	if code, body := get(t, h, "/healthz"); code != http.StatusOK || !strings.Contains(body, `"status":"ok"`) {
		t.Errorf("/healthz during a DCS outage = %d %s, want 200 ok", code, body)
	}
}

// hungTransport is a DCS API whose requests never end, whatever their context says,
// until release is closed: a poller stuck in it is wedged.
type hungTransport struct {
	arrived chan struct{}
	release chan struct{}
}

func (h hungTransport) RoundTrip(*http.Request) (*http.Response, error) {
	select {
	case h.arrived <- struct{}{}:
	default:
	}
	<-h.release
	return nil, errors.New("released")
}

// A poller wedged in a poll fails /healthz, which names its project and what it is stuck
// in, while /readyz stays 200: a restart is what helps.
func TestHealthzFailsForAWedgedPoller(t *testing.T) {
	cfg, deps := runConfig(t)
	cfg.HTTP.Listen = ""
	hung := hungTransport{arrived: make(chan struct{}, 1), release: make(chan struct{})}
	deps.Transport = hung
	a, err := app.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	app.SetLivenessBounds(a, 50*time.Millisecond, time.Hour, time.Hour)
	runApp(t, a)
	t.Cleanup(func() { close(hung.release) }) // runs before Run is stopped
	h := web.Handler(a, zerolog.Nop())
	if code, body := get(t, h, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz before the poll = %d %s, want 200", code, body)
	}
	<-hung.arrived
	var l status.Liveness
	testutil.Eventually(t, "/healthz to fail", func() bool {
		code, body := get(t, h, "/healthz")
		return code == http.StatusServiceUnavailable && json.Unmarshal([]byte(body), &l) == nil
	})
	if l.Status != "stalled" || len(l.Problems) != 1 || !strings.HasPrefix(l.Problems[0], "project "+project+": a poll running for") {
		t.Errorf("/healthz = %+v, want stalled naming the project's poll", l)
	}
	if code, _ := get(t, h, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz with a wedged poller = %d, want 200", code)
	}
}
