package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"notifier/internal/config"
	"notifier/internal/testkit/testutil"
)

// withWebConfig adds http.web_config_file = webFile to the [http] table of the file at
// path, and http.enable_lifecycle = true: POST /-/reload must be guarded by it too.
func withWebConfig(t *testing.T, path, webFile string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "[http]\n", "[http]\nenable_lifecycle = true\nweb_config_file = \""+webFile+"\"\n", 1)
	writeFile(t, filepath.Dir(path), filepath.Base(path), s)
}

// ask sends method url as user:pass ("" user: no basic auth); it returns the status and body.
func ask(t *testing.T, c *http.Client, method, url, user, pass string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// serve's listener is behind http.web_config_file, through exporter-toolkit: TLS, and
// basic auth on every endpoint — /metrics, the status page and POST /-/reload answer 401
// without a password or with a wrong one, and serve with the right one. notifier
// healthcheck finds the listener (on a port other than 9464) and its TLS and auth from the
// configuration file, trusts the self-signed certificate it names, and takes the password
// from a file or $NOTIFIER_WEB_PASSWORD.
func TestServeBehindWebConfig(t *testing.T) {
	e := newReloadEnv(t)
	e.listen = testutil.FreePort(t)
	e.write(t, "T_AK", projectA)
	dir := t.TempDir()
	withWebConfig(t, e.path, testutil.WebConfig(t, dir, "prometheus", "right-password"))
	cfg, err := config.LoadFile(e.path)
	if err != nil {
		t.Fatal(err)
	}
	logs := make(logLines, 1000)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- serve(ctx, newTestServer(logs).options(e.path, cfg, nil)) }()
	logs.wait(t, "POST /-/reload")

	c := testutil.WebClient(t, dir)
	base := "https://" + e.listen
	for _, r := range []struct{ method, path string }{{"GET", "/metrics"}, {"GET", "/"}, {"POST", "/-/reload"}} {
		if code, _ := ask(t, c, r.method, base+r.path, "", ""); code != http.StatusUnauthorized {
			t.Errorf("%s %s without a password = %d, want 401", r.method, r.path, code)
		}
		if code, _ := ask(t, c, r.method, base+r.path, "prometheus", "wrong-password"); code != http.StatusUnauthorized {
			t.Errorf("%s %s with a wrong password = %d, want 401", r.method, r.path, code)
		}
		if code, body := ask(t, c, r.method, base+r.path, "prometheus", "right-password"); code != http.StatusOK {
			t.Errorf("%s %s with the right password = %d %s, want 200", r.method, r.path, code, body)
		}
	}

	pw := writeFile(t, dir, "password", "right-password\n")
	if code, stdout, stderr := cli(t, "healthcheck", "--config", e.path, "--web.username", "prometheus", "--web.password-file", pw); code != exitOK || stdout != "alive\n" {
		t.Errorf("healthcheck with the password file: exit %d, %q %q; want 0, alive", code, stdout, stderr)
	}
	t.Setenv(userEnv, "prometheus")
	t.Setenv(passwordEnv, "right-password")
	if code, stdout, stderr := cli(t, "healthcheck", "--config", e.path, "--ready"); code != exitOK || stdout != "ready\n" {
		t.Errorf("healthcheck --ready with $%s and $%s: exit %d, %q %q; want 0, ready", userEnv, passwordEnv, code, stdout, stderr)
	}
	t.Setenv(userEnv, "")
	t.Setenv(passwordEnv, "wrong-password")
	if code, _, stderr := cli(t, "healthcheck", "--config", e.path, "--web.username", "prometheus"); code != exitRuntime ||
		!strings.Contains(stderr, "401") || strings.Contains(stderr, "wrong-password") {
		t.Errorf("healthcheck with a wrong password: exit %d, %q; want 1 saying 401, without the password", code, stderr)
	}
	t.Setenv(passwordEnv, "")
	if code, _, stderr := cli(t, "healthcheck", "--config", e.path); code != exitRuntime || !strings.Contains(stderr, "--web.username") {
		t.Errorf("healthcheck without credentials: exit %d, %q; want 1 saying how to pass them", code, stderr)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve after cancel: %v", err)
	}
}

// In a build whose default http.listen is every interface's (the image's 0.0.0.0:9464),
// the demo listens there, where healthcheck looks without a configuration; elsewhere on a
// free loopback port, beside a notifier on 9464.
func TestDemoListen(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:9464": "", "[::1]:9464": "", "localhost:9464": "",
		"0.0.0.0:9464": "0.0.0.0:9464", ":9464": ":9464",
	} {
		if got := demoListen(in); got != want {
			t.Errorf("demoListen(%q) = %q, want %q", in, got, want)
		}
	}
}

// healthcheck asks http.listen's port on loopback, /healthz or /readyz, over https when
// the web config serves TLS; with no configuration at all, the build's default address.
func TestHealthcheckTarget(t *testing.T) {
	for _, tt := range []struct {
		listen string
		tls    bool
		ready  bool
		want   string
	}{
		{"0.0.0.0:9464", false, false, "http://127.0.0.1:9464/healthz"},
		{":19464", true, false, "https://127.0.0.1:19464/healthz"},
		{"[::]:9464", false, true, "http://[::1]:9464/readyz"},
		{"10.0.0.5:8080", true, true, "https://10.0.0.5:8080/readyz"},
	} {
		o := healthOptions{ready: tt.ready}
		u, err := o.target(tt.listen, tt.tls)
		if err != nil || u.String() != tt.want {
			t.Errorf("target(%q, tls %v, ready %v) = %v, %v; want %s", tt.listen, tt.tls, tt.ready, u, err, tt.want)
		}
	}
	t.Setenv("NOTIFIER_CONFIG", filepath.Join(t.TempDir(), "absent.toml"))
	h, err := (&healthOptions{}).listener(os.Getenv)
	if err != nil || h != config.Default().HTTP {
		t.Errorf("with $NOTIFIER_CONFIG naming no file: %+v, %v; want the defaults", h, err)
	}
	if _, err := (&healthOptions{config: filepath.Join(t.TempDir(), "absent.toml")}).listener(os.Getenv); err == nil {
		t.Error("--config naming no file is not an error")
	}
}
