package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/metrics"
	"notifier/internal/testkit/testutil"
)

const (
	projectA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	projectB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	testAK   = "TESTAKTESTAKTESTAK"
	testSK   = "testsk-not-a-real-secret"
)

// reloadEnv is a signature-checking simulator that reports the project of every request,
// and a config file pointed at it.
type reloadEnv struct {
	url, dir, path string
	listen         string // http.listen; "" by default
	lifecycle      bool   // http.enable_lifecycle
	extra          string // more TOML, after [state]
	polled         chan string
	sim            *dcssim.Sim
}

func newReloadEnv(t *testing.T) *reloadEnv {
	t.Helper()
	sim := dcssim.New(dcssim.Options{AK: testAK, SK: testSK})
	sim.AddProject(projectA)
	sim.AddProject(projectB)
	e := &reloadEnv{dir: t.TempDir(), polled: make(chan string, 100), sim: sim}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if parts := strings.Split(r.URL.Path, "/"); len(parts) == 4 {
			select {
			case e.polled <- parts[2]:
			default:
			}
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e.url = srv.URL
	e.path = filepath.Join(e.dir, "config.toml")
	return e
}

// write writes a valid configuration polling projects every second, without NATS.
func (e *reloadEnv) write(t *testing.T, akEnv string, projects ...string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("[dcs]\nak_env = \"" + akEnv + "\"\nsk_env = \"T_SK\"\nsecurity_token_env = \"\"\n")
	for _, p := range projects {
		b.WriteString("[[dcs.projects]]\nregion = \"cn-north-4\"\nproject_id = \"" + p + "\"\nendpoint = \"" + e.url + "\"\n")
	}
	b.WriteString("[poll]\ninterval = \"1s\"\nactive_interval = \"1s\"\n[nats]\nurl = \"\"\n[http]\nlisten = \"" + e.listen + "\"\n")
	if e.lifecycle {
		b.WriteString("enable_lifecycle = true\n")
	}
	b.WriteString("[state]\npath = \"" + filepath.Join(e.dir, "state") + "\"\n")
	b.WriteString(e.extra)
	writeFile(t, e.dir, "config.toml", b.String())
}

// waitPoll waits for a request for project that arrives after the call.
func (e *reloadEnv) waitPoll(t *testing.T, project string, done <-chan error) {
	t.Helper()
	for len(e.polled) > 0 {
		<-e.polled
	}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case p := <-e.polled:
			if p == project {
				return
			}
		case err := <-done:
			t.Fatalf("serve returned %v while waiting for a poll of %s", err, project)
		case <-timeout:
			t.Fatalf("no poll of project %s within 10s", project)
		}
	}
}

// logLines is a zerolog writer passing each line to a channel.
type logLines chan string

func (l logLines) Write(p []byte) (int, error) {
	select {
	case l <- string(p):
	default:
	}
	return len(p), nil
}

func (l logLines) wait(t *testing.T, substr string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case s := <-l:
			if strings.Contains(s, substr) {
				return s
			}
		case <-timeout:
			t.Fatalf("no log line containing %q within 10s", substr)
		}
	}
}

// testServer is what serve runs in a test: a builder logging into logs, and the metrics
// and registry every App it builds shares.
type testServer struct {
	build builder
	m     *metrics.Metrics
	reg   *prometheus.Registry
}

func newTestServer(logs logLines) testServer {
	env := map[string]string{"T_AK": testAK, "T_SK": testSK}
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "test")
	return testServer{m: m, reg: reg, build: func(c *config.Config) (*app.App, zerolog.Logger, error) {
		log := zerolog.New(logs).Level(zerolog.InfoLevel)
		a, err := app.New(c, app.Deps{Log: log, Getenv: func(k string) string { return env[k] }, Registry: reg, Metrics: m})
		return a, log, err
	}}
}

func (s testServer) options(path string, cfg *config.Config, hup <-chan os.Signal) serveOptions {
	return serveOptions{path: path, cfg: cfg, hup: hup, build: s.build, metrics: s.m}
}

// value is the value of the series of name with exactly these labels, or -1 when it does
// not exist.
func (s testServer) value(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	v, ok := testutil.Series(t, s.reg, name, labels)
	if !ok {
		return -1
	}
	return v
}

// TestServeReloads drives the reload loop through a valid reload (a second project starts
// being polled), an invalid file (logged, the running App goes on) and a valid file that
// cannot run (refused, the running App goes on), then stops it.
func TestServeReloads(t *testing.T) {
	e := newReloadEnv(t)
	e.write(t, "T_AK", projectA)
	cfg, err := config.LoadFile(e.path)
	if err != nil {
		t.Fatal(err)
	}
	logs := make(logLines, 1000)
	hup := make(chan os.Signal, 1)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	ts := newTestServer(logs)
	go func() { done <- serve(ctx, ts.options(e.path, cfg, hup)) }()
	e.waitPoll(t, projectA, done)

	e.write(t, "T_AK", projectA, projectB)
	hup <- syscall.SIGHUP
	e.waitPoll(t, projectB, done)
	logs.wait(t, "reload: new configuration running")
	if v := ts.value(t, "notifier_config_last_reload_successful", nil); v != 1 {
		t.Errorf("after a reload: notifier_config_last_reload_successful = %v, want 1", v)
	}

	writeFile(t, e.dir, "config.toml", "[dcs\n")
	hup <- syscall.SIGHUP
	if l := logs.wait(t, "the running configuration is kept"); strings.Contains(l, testSK) {
		t.Errorf("log line shows the secret key: %s", l)
	}
	e.waitPoll(t, projectB, done) // the App polling both projects still runs
	if v := ts.value(t, "notifier_config_last_reload_successful", nil); v != 0 {
		t.Errorf("after an invalid file: notifier_config_last_reload_successful = %v, want 0", v)
	}

	e.write(t, "T_MISSING", projectA)
	hup <- syscall.SIGHUP
	logs.wait(t, "the new configuration cannot start; the running configuration is kept")
	e.waitPoll(t, projectB, done) // the running configuration goes on

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after cancel: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not return within 15s of the cancel")
	}
}

// TestServeFirstStartFails returns the setup error of the first App.
func TestServeFirstStartFails(t *testing.T) {
	e := newReloadEnv(t)
	e.write(t, "T_MISSING", projectA)
	cfg, err := config.LoadFile(e.path)
	if err != nil {
		t.Fatal(err)
	}
	err = serve(t.Context(), newTestServer(make(logLines, 10)).options(e.path, cfg, nil))
	if err == nil || !strings.Contains(err.Error(), "dcs.ak_env") {
		t.Fatalf("serve = %v, want the dcs.ak_env setup error", err)
	}
	if fail(&strings.Builder{}, err) != exitUsage {
		t.Error("a setup error must exit 2")
	}
}

// POST /-/reload reloads as SIGHUP does and answers with the outcome; a GET reloads
// nothing. A reload keeps the counters; a failed one sets
// notifier_config_last_reload_successful to 0 and keeps the running configuration.
func TestReloadEndpoint(t *testing.T) {
	e := newReloadEnv(t)
	e.listen = "127.0.0.1:0"
	e.lifecycle = true
	e.write(t, "T_AK", projectA)
	cfg, err := config.LoadFile(e.path)
	if err != nil {
		t.Fatal(err)
	}
	logs := make(logLines, 1000)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	ts := newTestServer(logs)
	go func() { done <- serve(ctx, ts.options(e.path, cfg, nil)) }()
	var line struct{ Listen string }
	if err := json.Unmarshal([]byte(logs.wait(t, "POST /-/reload")), &line); err != nil || line.Listen == "" {
		t.Fatalf("no listen address in the endpoints' log line: %v", err)
	}
	base := "http://" + line.Listen
	post := func() (int, string) {
		t.Helper()
		resp, err := http.Post(base+"/-/reload", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// Two polls counted before the reload: a counter restarting from 0 could not show
	// both right after it.
	testutil.Eventually(t, "two polls of project A", func() bool {
		return ts.value(t, "notifier_polls_total", map[string]string{"project": projectA, "result": "ok"}) >= 2
	})
	before := ts.value(t, "notifier_polls_total", map[string]string{"project": projectA, "result": "ok"})

	resp, err := http.Get(base + "/-/reload")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET /-/reload = %d (Allow %q), want 405 allowing POST", resp.StatusCode, resp.Header.Get("Allow"))
	}

	e.write(t, "T_AK", projectA, projectB)
	if code, body := post(); code != http.StatusOK || body != "{\"status\":\"reloaded\"}\n" {
		t.Fatalf("POST /-/reload = %d %s, want 200 reloaded", code, body)
	}
	if v := ts.value(t, "notifier_polls_total", map[string]string{"project": projectA, "result": "ok"}); v < before {
		t.Errorf("after a reload: notifier_polls_total{project A, ok} = %v, want at least %v", v, before)
	}
	e.waitPoll(t, projectB, done)
	if v := ts.value(t, "notifier_config_last_reload_successful", nil); v != 1 {
		t.Errorf("after a reload: notifier_config_last_reload_successful = %v, want 1", v)
	}

	writeFile(t, e.dir, "config.toml", "[dcs\n")
	if code, body := post(); code != http.StatusInternalServerError || !strings.Contains(body, `"status":"failed"`) || !strings.Contains(body, "config.toml") {
		t.Errorf("POST /-/reload of an invalid file = %d %s, want 500 with the error", code, body)
	}
	if v := ts.value(t, "notifier_config_last_reload_successful", nil); v != 0 {
		t.Errorf("after a failed reload: notifier_config_last_reload_successful = %v, want 0", v)
	}
	e.waitPoll(t, projectB, done) // the running configuration goes on

	e.write(t, "T_MISSING", projectA)
	if code, body := post(); code != http.StatusInternalServerError || !strings.Contains(body, "cannot start") || strings.Contains(body, testSK) {
		t.Errorf("POST /-/reload of a configuration that cannot start = %d %s, want 500 saying so", code, body)
	}
	e.waitPoll(t, projectB, done) // the running configuration goes on
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "\nnotifier_config_last_reload_successful 0\n") {
		t.Error("/metrics after the failed reloads lacks notifier_config_last_reload_successful 0")
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve after cancel: %v", err)
	}
}
