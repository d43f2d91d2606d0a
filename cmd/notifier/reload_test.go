package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/testkit/testutil"
)

// reloadRun is serve running on a reloadEnv with its endpoints, until the test ends.
type reloadRun struct {
	e    *reloadEnv
	ts   testServer
	logs logLines
	hup  chan os.Signal
	done chan error
	base string // http://host:port of the endpoints
}

func startReloadRun(t *testing.T, e *reloadEnv) *reloadRun {
	t.Helper()
	e.listen = "127.0.0.1:0"
	e.write(t, "T_AK", projectA)
	cfg, err := config.LoadFile(e.path)
	if err != nil {
		t.Fatal(err)
	}
	r := &reloadRun{e: e, logs: make(logLines, 1000), hup: make(chan os.Signal, 1), done: make(chan error, 1)}
	r.ts = newTestServer(r.logs)
	ctx, cancel := context.WithCancel(t.Context())
	go func() { r.done <- serve(ctx, r.ts.options(e.path, cfg, r.hup)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-r.done; err != nil {
			t.Errorf("serve after cancel: %v", err)
		}
	})
	r.base = "http://" + listenAddr(t, r.logs)
	e.waitPoll(t, projectA, r.done)
	return r
}

// post sends POST /-/reload with the headers given (name, value, ...).
func (r *reloadRun) post(t *testing.T, client *http.Client, headers ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.base+"/-/reload", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (r *reloadRun) reloadOK(t *testing.T) float64 {
	return r.ts.value(t, "notifier_config_last_reload_successful", nil)
}

// POST /-/reload is off unless http.enable_lifecycle = true: 404, and nothing is read;
// SIGHUP reloads either way.
func TestReloadEndpointIsOffByDefault(t *testing.T) {
	r := startReloadRun(t, newReloadEnv(t))
	writeFile(t, r.e.dir, "config.toml", "[dcs\n") // a reload would fail
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		req, _ := http.NewRequest(method, r.base+"/-/reload", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(b), "http.enable_lifecycle") {
			t.Errorf("%s /-/reload without http.enable_lifecycle = %d %s, want 404 naming the key", method, resp.StatusCode, b)
		}
	}
	if v := r.reloadOK(t); v != 1 {
		t.Errorf("a refused POST /-/reload reloaded: notifier_config_last_reload_successful = %v", v)
	}
	r.e.write(t, "T_AK", projectA, projectB)
	r.hup <- syscall.SIGHUP
	r.e.waitPoll(t, projectB, r.done)
}

// With http.enable_lifecycle = true, a POST a browser sends for another site is refused
// with 403 and reloads nothing: an Origin of another host, Sec-Fetch-Site cross-site or
// same-site. One from the listener's own origin, or from no browser (no such header),
// reloads.
func TestReloadRefusesCrossOriginRequests(t *testing.T) {
	e := newReloadEnv(t)
	e.lifecycle = true
	r := startReloadRun(t, e)
	writeFile(t, e.dir, "config.toml", "[dcs\n") // a reload would fail: 500 and the gauge at 0
	for _, h := range [][]string{
		{"Origin", "http://evil.example"},
		{"Origin", "null"},
		{"Origin", "http://evil.example", "Content-Type", "application/x-www-form-urlencoded"},
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site"},
		{"Sec-Fetch-Site", "cross-site", "Origin", r.base},
	} {
		if code, body := r.post(t, http.DefaultClient, h...); code != http.StatusForbidden || !strings.Contains(body, "cross-origin") {
			t.Errorf("POST /-/reload with %v = %d %s, want 403", h, code, body)
		}
	}
	if v := r.reloadOK(t); v != 1 {
		t.Fatalf("a cross-origin POST reloaded: notifier_config_last_reload_successful = %v", v)
	}
	if code, body := r.post(t, http.DefaultClient, "Origin", r.base); code != http.StatusInternalServerError {
		t.Errorf("POST /-/reload from the listener's own origin = %d %s, want a reload (500: the file is invalid)", code, body)
	}
	e.write(t, "T_AK", projectA)
	for _, h := range [][]string{{"Sec-Fetch-Site", "same-origin"}, {"Sec-Fetch-Site", "none"}, nil} {
		if code, body := r.post(t, http.DefaultClient, h...); code != http.StatusOK {
			t.Errorf("POST /-/reload with %v = %d %s, want 200", h, code, body)
		}
	}
}

// Reloads of an unchanged file answer "unchanged" and restart nothing; requests sent
// together share reloads (one at a time) and each gets its answer.
func TestReloadUnchangedAndConcurrent(t *testing.T) {
	e := newReloadEnv(t)
	e.lifecycle = true
	r := startReloadRun(t, e)
	drain(r.logs) // the start's
	var wg sync.WaitGroup
	codes := make([]string, 8)
	for i := range codes {
		wg.Go(func() {
			code, body := r.post(t, http.DefaultClient)
			codes[i] = http.StatusText(code) + " " + strings.TrimSpace(body)
		})
	}
	wg.Wait()
	for _, c := range codes {
		if c != `OK {"status":"unchanged"}` {
			t.Errorf("concurrent POST /-/reload of an unchanged file: %s, want 200 unchanged", c)
		}
	}
	r.logs.wait(t, "reload: configuration unchanged")
	if strings.Contains(strings.Join(drain(r.logs), "\n"), "notifier running") {
		t.Error("an unchanged reload started a new App")
	}
	e.write(t, "T_AK", projectA, projectB)
	if code, body := r.post(t, http.DefaultClient); code != http.StatusOK || !strings.Contains(body, "reloaded") {
		t.Errorf("POST /-/reload of a changed file = %d %s, want 200 reloaded", code, body)
	}
	e.waitPoll(t, projectB, r.done)
}

// drain returns the log lines written so far.
func drain(l logLines) []string {
	var out []string
	for {
		select {
		case s := <-l:
			out = append(out, s)
		default:
			return out
		}
	}
}

// A reload that restarts the App (here [log] changed) does not wait for a receiver that
// is down, whatever shutdown.timeout says: its backlog is saved and the new App delivers
// it once the receiver is back.
func TestRestartingReloadDoesNotWaitForADeadReceiver(t *testing.T) {
	var up sync.Mutex
	down := true
	var posts int
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		up.Lock()
		defer up.Unlock()
		if down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		posts++
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(hook.Close)
	e := newReloadEnv(t)
	e.lifecycle = true
	url := writeFile(t, t.TempDir(), "hook-url", hook.URL+"/services/T0/B0/x")
	e.extra = "[shutdown]\ntimeout = \"3m\"\n[[slack.webhooks]]\nname = \"dead\"\nurl_file = \"" + url + "\"\n"
	r := startReloadRun(t, e)
	// The first poll's request has arrived, not necessarily been listed: a task put now
	// could be in its silent baseline. The next request comes once that poll is committed.
	e.waitPoll(t, projectA, r.done)
	e.sim.Put(projectA, dcssim.Task{ID: "t1", Name: "EXTEND", Status: "RUNNING", CreatedAt: time.Now().UTC()})
	testutil.Eventually(t, "an event pending for the dead webhook", func() bool {
		return r.ts.value(t, "notifier_pending_events", map[string]string{"receiver": "dead", "sink": "dead"}) == 1
	})

	e.extra += "[log]\nlevel = \"debug\"\n"
	e.write(t, "T_AK", projectA)
	client := &http.Client{Timeout: time.Minute} // far below shutdown.timeout
	if code, body := r.post(t, client); code != http.StatusOK || !strings.Contains(body, "reloaded") {
		t.Fatalf("POST /-/reload with a receiver down = %d %s, want 200 reloaded", code, body)
	}
	r.logs.wait(t, "restarting to apply it")
	r.e.waitPoll(t, projectA, r.done)
	up.Lock()
	down = false
	up.Unlock()
	testutil.Eventually(t, "the backlog delivered by the new App", func() bool {
		up.Lock()
		defer up.Unlock()
		return posts == 1
	})
}
