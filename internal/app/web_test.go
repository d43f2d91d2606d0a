package app_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"notifier/internal/app"
	"notifier/internal/testkit/testutil"
	"notifier/internal/web"
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

// An App served by internal/web, as the demo serves it, is behind http.web_config_file
// through exporter-toolkit: TLS with the configured certificate, and basic auth on every
// endpoint (no password 401, a wrong one 401, the right one 200).
func TestAppListenerServesTheWebConfig(t *testing.T) {
	cfg, deps := runConfig(t)
	dir := t.TempDir()
	cfg.HTTP.WebConfigFile = testutil.WebConfig(t, dir, "prometheus", "right-password")
	srv, err := web.Listen(web.Options{HTTP: cfg.HTTP, Log: deps.Log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	a, err := app.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv.Set(a, deps.Log)
	runApp(t, a)
	c := testutil.WebClient(t, dir)
	base := "https://" + srv.Addr()
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
	if code := getAs(t, &http.Client{Timeout: 5 * time.Second}, "http://"+srv.Addr()+"/metrics", "prometheus", "right-password"); code != http.StatusBadRequest {
		t.Errorf("plain HTTP to the TLS listener = %d, want 400", code)
	}
}
