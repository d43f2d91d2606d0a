package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
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

// A reload picks up maintenance windows: a task announced to the webhook before is
// posted, one announced after a reload that adds a window muting the webhook is not.
func TestReloadAddsAMaintenanceWindow(t *testing.T) {
	sim := dcssim.New(dcssim.Options{AK: testAK, SK: testSK})
	sim.AddProject(projectA)
	api := httptest.NewServer(sim)
	t.Cleanup(api.Close)
	var mu sync.Mutex
	var posts []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		posts = append(posts, string(b))
		mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(hook.Close)
	posted := func(task string) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, p := range posts {
			if strings.Contains(p, task) {
				n++
			}
		}
		return n
	}

	dir := t.TempDir()
	base := "[dcs]\nak_env = \"T_AK\"\nsk_env = \"T_SK\"\nsecurity_token_env = \"\"\n" +
		"[[dcs.projects]]\nregion = \"cn-north-4\"\nproject_id = \"" + projectA + "\"\nendpoint = \"" + api.URL + "\"\n" +
		"[poll]\ninterval = \"1s\"\nactive_interval = \"1s\"\n[nats]\nurl = \"\"\n[http]\nlisten = \"\"\n" +
		"[state]\npath = \"" + filepath.Join(dir, "state") + "\"\n" +
		"[[slack.webhooks]]\nname = \"oncall\"\nurl_env = \"T_HOOK\"\n"
	path := writeFile(t, dir, "config.toml", base)
	cfg, err := config.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"T_AK": testAK, "T_SK": testSK, "T_HOOK": hook.URL + "/services/T0/B0/x"}
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "test")
	logs := make(logLines, 1000)
	build := func(c *config.Config) (*app.App, zerolog.Logger, error) {
		log := zerolog.New(logs).Level(zerolog.InfoLevel)
		a, err := app.New(c, app.Deps{Log: log, Getenv: func(k string) string { return env[k] }, Registry: reg, Metrics: m})
		return a, log, err
	}
	hup := make(chan os.Signal, 1)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- serve(ctx, serveOptions{path: path, cfg: cfg, hup: hup, build: build, metrics: m}) }()
	okPolls := func() float64 {
		v, _ := testutil.Series(t, reg, "notifier_polls_total", map[string]string{"project": projectA, "result": "ok"})
		return v
	}
	testutil.Eventually(t, "the first poll", func() bool { return okPolls() > 0 })

	sim.Put(projectA, dcssim.Task{ID: "before-window", Name: "EXTEND", Status: "RUNNING", CreatedAt: time.Now().UTC()})
	testutil.Eventually(t, "the task posted", func() bool { return posted("before-window") == 1 })

	writeFile(t, dir, "config.toml", base+"[[mute]]\nname = \"all-day\"\nstart = \"00:00\"\nend = \"24:00\"\n")
	hup <- syscall.SIGHUP
	logs.wait(t, "reload: new configuration running")
	sim.Put(projectA, dcssim.Task{ID: "in-window", Name: "EXTEND", Status: "RUNNING", CreatedAt: time.Now().UTC()})
	testutil.Eventually(t, "the event muted for oncall", func() bool {
		v, _ := testutil.Series(t, reg, "notifier_deliveries_total", map[string]string{"receiver": "oncall", "sink": "oncall", "result": "muted"})
		return v == 1
	})
	// Muted at commit: never queued for oncall, so it can never be posted.
	if n := posted("in-window"); n != 0 {
		t.Errorf("the event in the window was posted %d times", n)
	}
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
