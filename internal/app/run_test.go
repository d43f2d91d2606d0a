package app_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/testutil"
)

// runConfig is a file-backend configuration polling one simulated project, without sinks,
// serving HTTP on a free loopback port.
func runConfig(t *testing.T) (*config.Config, app.Deps) {
	t.Helper()
	sim := dcssim.New(dcssim.Options{AK: testAK, SK: testSK})
	sim.AddProject(project)
	api := httptest.NewServer(sim)
	t.Cleanup(api.Close)
	cfg := config.Default()
	cfg.DCS.AKEnv, cfg.DCS.SKEnv, cfg.DCS.SecurityTokenEnv = "T_AK", "T_SK", ""
	cfg.DCS.Projects = []config.Project{{Region: "cn-north-4", ProjectID: project, Endpoint: api.URL}}
	cfg.NATS.URL = ""
	cfg.State.Path = t.TempDir()
	cfg.HTTP.Listen = "127.0.0.1:0"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"T_AK": testAK, "T_SK": testSK}
	return &cfg, app.Deps{Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), Version: "test",
		Getenv: func(k string) string { return env[k] }}
}

// TestRunStopsCleanly is the lifecycle: Run serves /readyz with 200 once the project is
// polled, and once ctx ends it returns nil with every component stopped, the HTTP server
// included.
func TestRunStopsCleanly(t *testing.T) {
	cfg, deps := runConfig(t)
	a, err := app.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	url := "http://" + a.Addr().String() + "/readyz"
	testutil.Eventually(t, "/readyz to answer 200", func() bool {
		resp, err := client.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after cancel = %v, want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return within 15s of the cancel")
	}
	if resp, err := client.Get(url); err == nil {
		resp.Body.Close()
		t.Errorf("HTTP still answers (%d) after Run returned", resp.StatusCode)
	}
}

// TestHTTPPortTakenFailsTheStart: a busy http.listen port is found by New, before any
// component starts (so a reload to such a port falls back to the previous configuration),
// and the error names the key.
func TestHTTPPortTakenFailsTheStart(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg, deps := runConfig(t)
	cfg.HTTP.Listen = taken.Addr().String()
	if a, err := app.New(cfg, deps); err == nil || !strings.Contains(err.Error(), "http.listen") {
		if a != nil {
			a.Close()
		}
		t.Fatalf("New with a busy port = %v, want an error naming http.listen", err)
	}
	// Nothing is left held: the same state opens on a free port.
	cfg.HTTP.Listen = "127.0.0.1:0"
	a, err := app.New(cfg, deps)
	if err != nil {
		t.Fatalf("New after a failed start: %v", err)
	}
	a.Close()
}
