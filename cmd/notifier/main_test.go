package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFile writes content to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const goodConfig = `
[dcs]
ak_env = "NOTIFIER_TEST_UNSET_AK"
sk_env = "NOTIFIER_TEST_UNSET_SK"

[[dcs.projects]]
region = "cn-north-4"
project_id = "0123456789abcdef0123456789abcdef"

[nats]
url = "nats://alice:hunter2@127.0.0.1:4222"

[state]
path = "STATE"
`

const badConfig = `
[[dcs.projects]]
region = "cn-north-4"
project_id = "abcde"
`

func TestRunExitCodes(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.toml", strings.Replace(goodConfig, "STATE", filepath.Join(dir, "state"), 1))
	bad := writeFile(t, dir, "bad.toml", badConfig)
	t.Setenv("NOTIFIER_TEST_UNSET_AK", "")
	t.Setenv("NOTIFIER_TEST_UNSET_SK", "")
	t.Setenv("NOTIFIER_CONFIG", "")
	tests := []struct {
		name      string
		args      []string
		code      int
		stdout    string // must be contained
		stderr    string // must be contained
		oneLine   bool   // stderr is a single line
		noSecrets bool   // neither output holds the NATS password
	}{
		{name: "no args", code: exitUsage, stderr: "usage: notifier"},
		{name: "unknown command", args: []string{"frobnicate"}, code: exitUsage, stderr: `unknown command "frobnicate"`},
		{name: "run without config", args: []string{"run"}, code: exitUsage, stderr: "no configuration: pass --config FILE, set NOTIFIER_CONFIG", oneLine: true},
		{name: "once without config", args: []string{"once", "--dry-run"}, code: exitUsage, stderr: "no configuration"},
		{name: "check-config without config", args: []string{"check-config"}, code: exitUsage, stderr: "no configuration"},
		{name: "render without dry run", args: []string{"once", "--config", good, "--render"}, code: exitUsage, stderr: "--render needs --dry-run"},
		{name: "unknown flag", args: []string{"run", "--nope"}, code: exitUsage, stderr: "flag provided but not defined: -nope"},
		{name: "stray argument", args: []string{"check-config", "--config", good, "extra"}, code: exitUsage, stderr: `unexpected argument "extra"`},
		{name: "missing file", args: []string{"check-config", "--config", filepath.Join(dir, "nope.toml")}, code: exitUsage, stderr: "nope.toml", oneLine: true},
		{
			name: "bad config", args: []string{"check-config", "--config", bad}, code: exitUsage,
			stderr: "dcs.projects[0].project_id: must be 32 hex characters", oneLine: true,
		},
		{name: "run with a bad config", args: []string{"run", "--config", bad}, code: exitUsage, stderr: "dcs.projects[0].project_id", oneLine: true},
		{name: "run without credentials", args: []string{"run", "--config", good}, code: exitUsage, stderr: "not set in the environment: NOTIFIER_TEST_UNSET_AK", oneLine: true, noSecrets: true},
		{name: "version", args: []string{"version"}, code: exitOK, stdout: "notifier dev"},
		{name: "help", args: []string{"help"}, code: exitOK, stdout: "check-config"},
		{name: "check-config offline", args: []string{"check-config", "--offline", "--config", good}, code: exitOK, stdout: "ok, 1 project(s), receivers: nats", noSecrets: true},
		{
			name: "check-config without credentials", args: []string{"check-config", "--config", good}, code: exitUsage,
			stderr: "dcs.ak_env, dcs.sk_env: not set in the environment: NOTIFIER_TEST_UNSET_AK, NOTIFIER_TEST_UNSET_SK", oneLine: true, noSecrets: true,
		},
		{name: "demo bad speed", args: []string{"demo", "--speed", "0"}, code: exitUsage, stderr: "--speed"},
		{name: "demo argument", args: []string{"demo", "now"}, code: exitUsage, stderr: `unexpected argument "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, stdout.String())
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, stderr.String())
			}
			if tt.oneLine && strings.Count(strings.TrimSuffix(stderr.String(), "\n"), "\n") != 0 {
				t.Errorf("stderr is not one line:\n%s", stderr.String())
			}
			if tt.noSecrets && strings.Contains(stdout.String()+stderr.String(), "hunter2") {
				t.Errorf("output shows the NATS password:\n%s\n%s", stdout.String(), stderr.String())
			}
		})
	}
}
