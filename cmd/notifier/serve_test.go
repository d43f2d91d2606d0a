package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/dcssim"
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
	polled         chan string
}

func newReloadEnv(t *testing.T) *reloadEnv {
	t.Helper()
	sim := dcssim.New(dcssim.Options{AK: testAK, SK: testSK})
	sim.AddProject(projectA)
	sim.AddProject(projectB)
	e := &reloadEnv{dir: t.TempDir(), polled: make(chan string, 100)}
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
	b.WriteString("[poll]\ninterval = \"1s\"\nactive_interval = \"1s\"\n[nats]\nurl = \"\"\n[http]\nlisten = \"\"\n")
	b.WriteString("[state]\npath = \"" + filepath.Join(e.dir, "state") + "\"\n")
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

func testBuilder(logs logLines) builder {
	env := map[string]string{"T_AK": testAK, "T_SK": testSK}
	return func(c *config.Config) (*app.App, zerolog.Logger, error) {
		log := zerolog.New(logs).Level(zerolog.InfoLevel)
		a, err := app.New(c, app.Deps{Log: log, Getenv: func(k string) string { return env[k] }})
		return a, log, err
	}
}

// TestServeReloads drives the reload loop through a valid reload (a second project starts
// being polled), an invalid file (logged, the running App goes on) and a valid file whose
// App cannot start (the previous configuration starts again), then stops it.
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
	go func() { done <- serve(ctx, e.path, cfg, hup, testBuilder(logs)) }()
	e.waitPoll(t, projectA, done)

	e.write(t, "T_AK", projectA, projectB)
	hup <- syscall.SIGHUP
	e.waitPoll(t, projectB, done)
	logs.wait(t, "reload: new configuration running")

	writeFile(t, e.dir, "config.toml", "[dcs\n")
	hup <- syscall.SIGHUP
	if l := logs.wait(t, "the running configuration is kept"); strings.Contains(l, testSK) {
		t.Errorf("log line shows the secret key: %s", l)
	}
	e.waitPoll(t, projectB, done) // the App polling both projects still runs

	e.write(t, "T_MISSING", projectA)
	hup <- syscall.SIGHUP
	logs.wait(t, "the new configuration cannot start; starting the previous one again")
	e.waitPoll(t, projectB, done) // the previous configuration is back

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
	err = serve(t.Context(), e.path, cfg, nil, testBuilder(make(logLines, 10)))
	if err == nil || !strings.Contains(err.Error(), "dcs.ak_env") {
		t.Fatalf("serve = %v, want the dcs.ak_env setup error", err)
	}
	if fail(&strings.Builder{}, err) != exitUsage {
		t.Error("a setup error must exit 2")
	}
}
