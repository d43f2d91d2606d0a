package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"notifier/internal/config"
)

// Secrets pasted where the name of their variable goes: a webhook URL, which cannot be a
// variable's name, and an access key, which can but is set nowhere.
const (
	pastedHook = "https://hooks.slack.test/services/T0/B0/PastedS3cr3t"
	pastedAK   = "PASTED7Q2XR9ZL0M4B8N1"
)

// check-config and run say which key holds something that is not a variable's name,
// never what it holds.
func TestPastedSecretIsNotEchoedByTheCLI(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("NOTIFIER_CONFIG", "")
	t.Setenv("NOTIFIER_TEST_HOOK_ONCALL", "https://hooks.slack.test/x")
	t.Setenv("NOTIFIER_TEST_HOOK_TEAM", "https://hooks.slack.test/x")
	t.Setenv("CLOUD_SDK_AK", "AKVALUE")
	t.Setenv("CLOUD_SDK_SK", "SKVALUE")
	base := strings.Replace(drillBase, "NATSURL", "nats://127.0.0.1:4222", 1)
	for _, tc := range []struct{ name, config, secret, want string }{
		{"url in url_env", strings.Replace(base, "NOTIFIER_TEST_HOOK_ONCALL", pastedHook, 1), "PastedS3cr3t",
			"slack.webhooks[0].url_env: must name an environment variable; the value given is not shown"},
		{"access key in ak_env", "[dcs]\nak_env = \"" + pastedAK + "\"\n" + base, pastedAK,
			"dcs.ak_env: must name an environment variable; the value given is not shown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, dir, "c.toml", tc.config)
			for _, args := range [][]string{{"check-config"}, {"run"}} {
				code, stdout, stderr := cli(t, append(args, "--config", path)...)
				if code != exitUsage || !strings.Contains(stderr, tc.want) {
					t.Errorf("%s: exit %d, stderr:\n%s\nwant exit 2 and %q", args[0], code, stderr, tc.want)
				}
				if strings.Contains(stdout+stderr, tc.secret) {
					t.Errorf("%s shows the pasted secret:\n%s%s", args[0], stdout, stderr)
				}
			}
		})
	}
}

// The answer to POST /-/reload and the log say which key is wrong, never the secret
// pasted in it: not as a value that cannot be a name (the file fails), nor as a name no
// variable has (the new configuration cannot start).
func TestReloadNeverEchoesAPastedSecret(t *testing.T) {
	e := newReloadEnv(t)
	e.listen = "127.0.0.1:0"
	e.lifecycle = true
	e.write(t, "T_AK", projectA)
	cfg, err := config.LoadFile(e.path)
	if err != nil {
		t.Fatal(err)
	}
	logs := make(logLines, 1000)
	done := make(chan error, 1)
	ts := newTestServer(logs)
	go func() { done <- serve(t.Context(), ts.options(e.path, cfg, nil)) }()
	base := "http://" + listenAddr(t, logs)
	e.waitPoll(t, projectA, done)

	for _, tc := range []struct{ akEnv, secret, logged string }{
		{pastedHook, "PastedS3cr3t", "the running configuration is kept"},
		{pastedAK, pastedAK, "the new configuration cannot start"},
	} {
		e.write(t, tc.akEnv, projectA)
		resp, err := http.Post(base+"/-/reload", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		const want = "dcs.ak_env: must name an environment variable; the value given is not shown"
		if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(b), want) {
			t.Errorf("POST /-/reload = %d %s, want 500 saying %q", resp.StatusCode, b, want)
		}
		if strings.Contains(string(b), tc.secret) {
			t.Errorf("the reload answer shows the pasted secret: %s", b)
		}
		if l := waitLogWithout(t, logs, tc.logged, tc.secret); !strings.Contains(l, want) {
			t.Errorf("log line %s does not say %q", l, want)
		}
		e.waitPoll(t, projectA, done) // the running configuration goes on
	}
}

// listenAddr is the address of the endpoints, from their log line.
func listenAddr(t *testing.T, logs logLines) string {
	t.Helper()
	l := logs.wait(t, "POST /-/reload")
	_, after, ok := strings.Cut(l, `"listen":"`)
	addr, _, _ := strings.Cut(after, `"`)
	if !ok || addr == "" {
		t.Fatalf("no listen address in the endpoints' log line: %s", l)
	}
	return addr
}

// waitLogWithout waits for a log line containing substr, as logLines.wait does, failing
// the test for every line until then that holds secret.
func waitLogWithout(t *testing.T, logs logLines, substr, secret string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case l := <-logs:
			if strings.Contains(l, secret) {
				t.Errorf("the log shows the pasted secret: %s", l)
			}
			if strings.Contains(l, substr) {
				return l
			}
		case <-timeout:
			t.Fatalf("no log line containing %q within 10s", substr)
		}
	}
}
