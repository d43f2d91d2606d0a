package main

import (
	"context"
	"strings"
	"testing"

	"notifier/internal/config"
	"notifier/internal/testkit/testutil"
)

// notifier silence add, list, query and expire against a running notifier, through its
// API behind the listener's TLS and basic auth, found from the configuration file as
// healthcheck finds it; the silence survives a restart (file state).
func TestSilenceCommandsAgainstARunningNotifier(t *testing.T) {
	e := newReloadEnv(t)
	e.listen = testutil.FreePort(t)
	e.write(t, "T_AK", projectA)
	dir := t.TempDir()
	withWebConfig(t, e.path, testutil.WebConfig(t, dir, "ops", "s3cret-pw"))
	cfg, err := config.LoadFile(e.path)
	if err != nil {
		t.Fatal(err)
	}
	start := func() func() {
		logs := make(logLines, 1000)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- serve(ctx, newTestServer(logs).options(e.path, cfg, nil)) }()
		logs.wait(t, "POST /-/reload")
		return func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		}
	}
	stop := start()
	defer func() { stop() }()

	if code, _, stderr := cli(t, "silence", "list", "--config", e.path); code != exitRuntime || !strings.Contains(stderr, "basic auth") {
		t.Errorf("list without credentials: exit %d, %q; want 1 saying basic auth", code, stderr)
	}
	t.Setenv(userEnv, "ops")
	t.Setenv(passwordEnv, "s3cret-pw")
	code, stdout, stderr := cli(t, "silence", "add", "--config", e.path, "--for", "2h", "--task-name", "masterStandbySwapJob",
		"--instance", "redis-orders*", "--comment", "planned failover test")
	id := strings.TrimSpace(stdout)
	if code != exitOK || len(id) != 16 {
		t.Fatalf("add: exit %d, %q %q; want 0 and an id", code, stdout, stderr)
	}
	if code, _, stderr := cli(t, "silence", "add", "--config", e.path, "--for", "1h", "--task-name", "a[", "--comment", "x"); code != exitRuntime ||
		!strings.Contains(stderr, "400") || !strings.Contains(stderr, "matchers.task_name") {
		t.Errorf("add with a bad glob: exit %d, %q; want 1 saying 400 and the matcher", code, stderr)
	}
	for _, args := range [][]string{
		{"silence", "list"},
		{"silence", "query", "--task-name", "masterStandbySwapJob", "--instance", "redis-orders-1"},
	} {
		code, stdout, stderr := cli(t, append(args, "--config", e.path)...)
		if code != exitOK || !strings.Contains(stdout, id) || !strings.Contains(stdout, "planned failover test") ||
			!strings.Contains(stdout, "task_name=masterStandbySwapJob") || !strings.Contains(stdout, "active") {
			t.Errorf("%s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
	}
	if _, stdout, _ := cli(t, "silence", "query", "--config", e.path, "--instance", "redis-users-1"); strings.Contains(stdout, id) {
		t.Errorf("query of another instance lists the silence:\n%s", stdout)
	}

	// A restart: the silence is kept in the state directory.
	stop()
	stop = start()
	if _, stdout, _ := cli(t, "silence", "list", "--config", e.path); !strings.Contains(stdout, id) {
		t.Errorf("after a restart list lacks the silence:\n%s", stdout)
	}

	if code, stdout, stderr := cli(t, "silence", "expire", "--config", e.path, id); code != exitOK || !strings.HasPrefix(stdout, "expired "+id) {
		t.Errorf("expire: exit %d, %q %q", code, stdout, stderr)
	}
	if _, stdout, _ := cli(t, "silence", "list", "--config", e.path); strings.Contains(stdout, id) || !strings.Contains(stdout, "# no silence") {
		t.Errorf("list after the expiry:\n%s", stdout)
	}
	if _, stdout, _ := cli(t, "silence", "list", "--config", e.path, "--expired"); !strings.Contains(stdout, id) || !strings.Contains(stdout, "expired") {
		t.Errorf("list --expired after the expiry:\n%s", stdout)
	}
	if code, _, stderr := cli(t, "silence", "expire", "--config", e.path, "0000000000000000"); code != exitRuntime || !strings.Contains(stderr, "404") {
		t.Errorf("expire of an unknown id: exit %d, %q", code, stderr)
	}
}
