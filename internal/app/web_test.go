package app_test

import (
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"notifier/internal/app"
	"notifier/internal/testutil"
)

// getAs sends a GET to url as user:pass ("" user: no basic auth) and returns the status.
func getAs(t *testing.T, c *http.Client, url, user, pass string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// The App's own listener (the demo's, and any App run with http.listen) serves through
// exporter-toolkit with http.web_config_file: TLS with the configured certificate, and
// basic auth on every endpoint (no password 401, a wrong one 401, the right one 200).
func TestAppListenerServesTheWebConfig(t *testing.T) {
	cfg, deps := runConfig(t)
	dir := t.TempDir()
	cfg.HTTP.WebConfigFile = testutil.WebConfig(t, dir, "prometheus", "right-password")
	a, err := app.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	runApp(t, a)
	c := testutil.WebClient(t, dir)
	base := "https://" + a.Addr().String()
	for _, path := range []string{"/metrics", "/", "/healthz", "/readyz"} {
		if code := getAs(t, c, base+path, "", ""); code != http.StatusUnauthorized {
			t.Errorf("GET %s without a password = %d, want 401", path, code)
		}
		if code := getAs(t, c, base+path, "prometheus", "wrong-password"); code != http.StatusUnauthorized {
			t.Errorf("GET %s with a wrong password = %d, want 401", path, code)
		}
		if code := getAs(t, c, base+path, "prometheus", "right-password"); code != http.StatusOK {
			t.Errorf("GET %s with the right password = %d, want 200", path, code)
		}
	}
	// Plain HTTP gets no answer but the server's refusal.
	if code := getAs(t, &http.Client{Timeout: 5 * time.Second}, "http://"+a.Addr().String()+"/metrics", "prometheus", "right-password"); code != http.StatusBadRequest {
		t.Errorf("plain HTTP to the TLS listener = %d, want 400", code)
	}
}

// A web config that cannot be served fails the start, naming the key, before anything
// runs; the listener has the timeouts it should.
func TestAppRefusesABadWebConfig(t *testing.T) {
	cfg, deps := runConfig(t)
	cfg.HTTP.WebConfigFile = filepath.Join(t.TempDir(), "missing.yml")
	a, err := app.New(cfg, deps)
	var se *app.SetupError
	if err == nil || !errors.As(err, &se) || !strings.Contains(err.Error(), "http.web_config_file") {
		if a != nil {
			a.Close()
		}
		t.Fatalf("New with a missing web config = %v, want a setup error naming http.web_config_file", err)
	}
	srv := app.NewServer(http.NotFoundHandler(), deps.Log)
	if srv.ReadTimeout != 5*time.Minute || srv.WriteTimeout != 5*time.Minute || srv.IdleTimeout != 5*time.Minute ||
		srv.ReadHeaderTimeout != 5*time.Second {
		t.Errorf("timeouts read %v, write %v, idle %v, header %v; want Prometheus' 5m and a 5s header",
			srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout, srv.ReadHeaderTimeout)
	}
}
