package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/status"
	"notifier/internal/testkit/natstest"
	"notifier/internal/testkit/testutil"
	"notifier/internal/web"
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
	return newAppSK(t, testSK)
}

// newAppSK is newApp with the secret key the notifier is given: another one than the
// simulator's gets the credentials refused.
func newAppSK(t *testing.T, sk string) (*app.App, *server.Server) {
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
	cfg.HTTP.Listen = "" // the tests serve web.Handler themselves
	cfg.Shutdown.Timeout = config.Duration(5 * time.Second)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"T_AK": testAK, "T_SK": sk, "T_NATS_TOKEN": natsToken}
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
	h := web.Handler(a, zerolog.Nop())

	// Ready from the start (configuration and state loaded); upstream health is detail.
	code, body := get(t, h, "/readyz")
	if code != http.StatusOK || !strings.Contains(body, `"upstream":"degraded"`) ||
		!strings.Contains(body, "project "+project+": no successful poll yet") {
		t.Errorf("before the first poll: %d %s, want 200, upstream degraded naming the project", code, body)
	}
	if code, _ := get(t, h, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d, want 200", code)
	}

	if err := a.Once(t.Context(), io.Discard); err != nil {
		t.Fatalf("Once: %v", err)
	}
	if code, body := get(t, h, "/readyz"); code != http.StatusOK || !strings.Contains(body, `"ready"`) ||
		!strings.Contains(body, `"upstream":"ok","problems":[]`) {
		t.Errorf("after a successful poll: %d %s, want 200, upstream ok", code, body)
	}
	if _, body := get(t, h, "/readyz"); !strings.Contains(body, `"receivers":[{"name":"nats","pending":0}]`) {
		t.Errorf("/readyz %s does not list the receivers by name with their pending events", body)
	}

	ns.Shutdown()
	// The client notices the closed connection on its own; wait for the endpoint to say so.
	// A NATS outage is upstream health too: still ready.
	testutil.Eventually(t, "/readyz to see NATS down", func() bool {
		code, body = get(t, h, "/readyz")
		return strings.Contains(body, "nats: not connected")
	})
	if code != http.StatusOK || !strings.Contains(body, `"upstream":"degraded"`) || strings.Contains(body, "nats://") {
		t.Errorf("after the NATS server shut down: %d %s, want 200, upstream degraded, no URL", code, body)
	}
}

func TestMetrics(t *testing.T) {
	a, _ := newApp(t)
	if err := a.Once(t.Context(), io.Discard); err != nil {
		t.Fatalf("Once: %v", err)
	}
	code, body := get(t, web.Handler(a, zerolog.Nop()), "/metrics")
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
		`notifier_deliveries_total{receiver="nats",result="ok",sink="nats"} 1`,
		`notifier_pending_events{receiver="nats",sink="nats"} 0`,
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

// readyz decodes /readyz and lists its keys and its first project's, to compare shapes.
func readyz(t *testing.T, h http.Handler) (int, status.Readiness, string) {
	t.Helper()
	code, body := get(t, h, "/readyz")
	var r status.Readiness
	var raw struct {
		Projects []map[string]any `json:"projects"`
	}
	var top map[string]any
	if json.Unmarshal([]byte(body), &r) != nil || json.Unmarshal([]byte(body), &top) != nil ||
		json.Unmarshal([]byte(body), &raw) != nil || len(raw.Projects) != 1 {
		t.Fatalf("/readyz body %s", body)
	}
	var keys []string
	for k := range top {
		keys = append(keys, k)
	}
	for k := range raw.Projects[0] {
		keys = append(keys, "projects."+k)
	}
	slices.Sort(keys)
	return code, r, strings.Join(keys, ",")
}

// /readyz has one shape, ready or not: per project the last poll, its result and the
// class of its error; per receiver the pending count; the NATS state; the shards.
func TestReadyzShape(t *testing.T) {
	a, _ := newApp(t)
	code, before, shape := readyz(t, web.Handler(a, zerolog.Nop()))
	if code != http.StatusOK || before.Upstream != "degraded" || before.Projects[0].Result != "none" || before.Projects[0].LastPoll != nil {
		t.Errorf("before a poll: %d %+v, want 200, upstream degraded and project result none", code, before.Projects[0])
	}
	if err := a.Once(t.Context(), io.Discard); err != nil {
		t.Fatal(err)
	}
	code, ready, readyShape := readyz(t, web.Handler(a, zerolog.Nop()))
	p := ready.Projects[0]
	if code != http.StatusOK || ready.Status != "ready" || p.ID != project || p.Result != "ok" || p.Error != nil ||
		p.LastPoll == nil || p.LastSuccess == nil || ready.NATS != "connected" || len(ready.Reasons) != 0 ||
		ready.Upstream != "ok" || len(ready.Problems) != 0 {
		t.Errorf("after a poll: %d %+v %+v, want ready, result ok, NATS connected", code, ready, p)
	}
	if readyShape != shape {
		t.Errorf("/readyz keys ready: %s, not ready: %s", readyShape, shape)
	}

	refused, _ := newAppSK(t, "not-the-secret-key")
	if err := refused.Once(t.Context(), io.Discard); err == nil {
		t.Fatal("a poll with the wrong secret key succeeded")
	}
	code, nr, nrShape := readyz(t, web.Handler(refused, zerolog.Nop()))
	p = nr.Projects[0]
	if code != http.StatusOK || nr.Upstream != "degraded" || p.Result != "error" || p.Error == nil || *p.Error != "credentials refused" ||
		p.LastPoll == nil || p.LastSuccess != nil {
		t.Errorf("credentials refused: %d %+v, want 200, upstream degraded, result error, credentials refused", code, p)
	}
	if nrShape != shape {
		t.Errorf("/readyz keys when refused: %s, want %s", nrShape, shape)
	}
}
