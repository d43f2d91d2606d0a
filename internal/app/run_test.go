package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/testkit/testutil"
	"notifier/internal/web"
)

// runConfig is a file-backend configuration polling one simulated project, without sinks,
// its http.listen a free loopback port.
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

// TestRunStopsCleanly is the lifecycle: Run, served as run and the demo serve it
// (internal/web), answers /readyz with 200 once the project is polled, and once ctx ends
// it returns nil with every component stopped; the endpoints stop with the server.
func TestRunStopsCleanly(t *testing.T) {
	cfg, deps := runConfig(t)
	srv, err := web.Listen(web.Options{HTTP: cfg.HTTP, Log: deps.Log})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	a, err := app.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv.Set(a, deps.Log)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	url := "http://" + srv.Addr() + "/readyz"
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
	srv.Close()
	if resp, err := client.Get(url); err == nil {
		resp.Body.Close()
		t.Errorf("HTTP still answers (%d) after Run returned and the server closed", resp.StatusCode)
	}
}
