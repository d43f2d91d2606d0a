package app_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/natstest"
)

const (
	project   = "0123456789abcdef0123456789abcdef"
	testAK    = "HTTPTESTAKHTTPTESTAK"
	testSK    = "http-test-secret-key"
	natsToken = "http-test-nats-token"
)

// secrets are the values no endpoint may show.
var secrets = []string{testAK, testSK, natsToken}

// newApp builds an App against a signature-checking simulator holding one running task and
// a token-protected NATS server, which it returns so that a test can shut it down.
func newApp(t *testing.T) (*app.App, *server.Server) {
	t.Helper()
	sim := dcssim.New(dcssim.Options{AK: testAK, SK: testSK})
	sim.Put(project, dcssim.Task{ID: "8abf0000000000000000000000000001", Name: "EXTEND", Status: "RUNNING",
		CreatedAt: time.Now().Add(-time.Minute).UTC()})
	dcsSrv := httptest.NewServer(sim)
	t.Cleanup(dcsSrv.Close)

	ns := natstest.RunJetStream(t, natstest.CoreOnly(), natstest.Token(natsToken))

	cfg := config.Default()
	cfg.DCS.AKEnv, cfg.DCS.SKEnv, cfg.DCS.SecurityTokenEnv = "T_AK", "T_SK", ""
	cfg.DCS.Projects = []config.Project{{Region: "cn-north-4", ProjectID: project, Endpoint: dcsSrv.URL}}
	cfg.Poll.Initial = "notify"
	cfg.State.Path = t.TempDir()
	cfg.NATS.URL = ns.ClientURL()
	cfg.NATS.TokenEnv = "T_NATS_TOKEN"
	cfg.Shutdown.Timeout = config.Duration(5 * time.Second)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"T_AK": testAK, "T_SK": testSK, "T_NATS_TOKEN": natsToken}
	a, err := app.New(&cfg, app.Deps{Log: zerolog.Nop(), Version: "test", Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, ns
}

// get fetches path from h and checks that the body shows no secret.
func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(string(b), s) {
			t.Errorf("GET %s shows a secret: %s", path, b)
		}
	}
	return resp.StatusCode, string(b)
}

func TestReadyz(t *testing.T) {
	a, ns := newApp(t)
	h := a.Handler()

	code, body := get(t, h, "/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "project "+project+": no successful poll yet") {
		t.Errorf("before the first poll: %d %s, want 503 naming the project", code, body)
	}
	if code, _ := get(t, h, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d, want 200", code)
	}

	if err := a.Once(t.Context(), io.Discard); err != nil {
		t.Fatalf("Once: %v", err)
	}
	if code, body := get(t, h, "/readyz"); code != http.StatusOK || !strings.Contains(body, `"ready"`) {
		t.Errorf("after a successful poll: %d %s, want 200", code, body)
	}
	if _, body := get(t, h, "/readyz"); !strings.Contains(body, `"receivers":[{"name":"nats","pending":0}]`) {
		t.Errorf("/readyz %s does not list the receivers by name with their pending events", body)
	}

	ns.Shutdown()
	// The client notices the closed connection on its own; wait for the endpoint to say so.
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body = get(t, h, "/readyz")
		if code == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d %s 10s after the NATS server shut down", code, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(body, "nats: not connected") || strings.Contains(body, "nats://") {
		t.Errorf("after the NATS server shut down: %s, want the reason and no URL", body)
	}
}

func TestMetrics(t *testing.T) {
	a, _ := newApp(t)
	if err := a.Once(t.Context(), io.Discard); err != nil {
		t.Fatalf("Once: %v", err)
	}
	code, body := get(t, a.Handler(), "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	for _, want := range []string{
		`notifier_polls_total{project="` + project + `",result="ok"} 1`,
		`notifier_poll_duration_seconds_count{project="` + project + `"} 1`,
		`notifier_api_requests_total{code="200",project="` + project + `"} 1`,
		`notifier_tasks_followed{project="` + project + `"} 1`,
		`notifier_tasks_active{project="` + project + `"} 1`,
		`notifier_events_total{severity="info",type="com.huaweicloud.dcs.task.created"} 1`,
		`notifier_deliveries_total{result="ok",sink="nats"} 1`,
		`notifier_pending_events{sink="nats"} 0`,
		`notifier_last_successful_poll_timestamp_seconds{project="` + project + `"}`,
		`notifier_build_info{version="test"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
}
