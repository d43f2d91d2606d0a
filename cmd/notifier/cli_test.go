package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"notifier/internal/dcssim"
	"notifier/internal/event"
	"notifier/internal/testkit/natstest"
)

// cli runs the command line and returns its exit code and outputs.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestEveryCommandHasHelp: --help, -h and help NAME exit 0 and show the usage, every flag,
// the environment, the exit codes and an example, on stdout.
func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands {
		for _, args := range [][]string{{c.name, "--help"}, {c.name, "-h"}, {"help", c.name}} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				code, stdout, stderr := cli(t, args...)
				if code != exitOK || stderr != "" {
					t.Fatalf("exit %d, stderr %q", code, stderr)
				}
				for _, want := range []string{"usage: notifier " + c.name, "\nexit codes:\n  0", "\nexample:\n  notifier " + c.name} {
					if !strings.Contains(stdout, want) {
						t.Errorf("help lacks %q:\n%s", want, stdout)
					}
				}
				if c.name != "version" && !strings.Contains(stdout, "\nenvironment:\n") {
					t.Errorf("help lists no environment:\n%s", stdout)
				}
			})
		}
	}
	// Every flag a command defines is in its help.
	for name, flags := range map[string][]string{
		"run": {"-config"}, "once": {"-config", "-dry-run", "-render"}, "check-config": {"-config", "-offline", "-strict"},
		"routes": {"-config", "-task-name", "-status", "-project", "-at", "-event-type", "-region", "-instance"}, "test-notification": {"-config", "-receiver", "-timeout"},
		"probe": {"-config", "-project", "-json"},
		"demo":  {"-speed", "-json"}, "template render": {"-config", "-receiver", "-event", "-sample"},
		"silence add": {"-config", "-url", "-web.username", "-web.password-file", "-timeout", "-for", "-comment", "-created-by",
			"-project", "-region", "-instance", "-task-name", "-status", "-event-type", "-receiver"},
		"silence list":   {"-config", "-url", "-web.username", "-web.password-file", "-timeout", "-expired"},
		"silence expire": {"-config", "-url", "-web.username", "-web.password-file", "-timeout"},
		"silence query": {"-config", "-url", "-web.username", "-web.password-file", "-timeout",
			"-project", "-region", "-instance", "-task-name", "-status", "-event-type", "-receiver"},
	} {
		_, stdout, _ := cli(t, append(strings.Fields(name), "--help")...)
		for _, f := range flags {
			if !strings.Contains(stdout, "\n  "+f+" ") && !strings.Contains(stdout, "\n  "+f+"\n") {
				t.Errorf("%s --help does not list %s:\n%s", name, f, stdout)
			}
		}
	}
	code, stdout, _ := cli(t, "help")
	if code != exitOK {
		t.Errorf("help: exit %d", code)
	}
	for _, c := range commands {
		if !strings.Contains(stdout, "\n  "+c.name+" ") {
			t.Errorf("help does not list %s:\n%s", c.name, stdout)
		}
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := cli(t, "version")
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if code != exitOK || len(lines) != 3 || lines[0] != "notifier dev" || !strings.HasPrefix(lines[1], "commit ") ||
		lines[2] != "go "+runtime.Version() {
		t.Errorf("exit %d, output:\n%s", code, stdout)
	}
	version, commit = "v1.2.3", "0123abc"
	t.Cleanup(func() { version, commit = "dev", "" })
	if _, stdout, _ := cli(t, "--version"); !strings.HasPrefix(stdout, "notifier v1.2.3\ncommit 0123abc\n") {
		t.Errorf("stamped version and commit not shown:\n%s", stdout)
	}
}

// TestConfigDefault: --config defaults to $NOTIFIER_CONFIG, then ./notifier.toml.
func TestConfigDefault(t *testing.T) {
	dir := t.TempDir()
	cfg := strings.Replace(drillBase, "NATSURL", "nats://127.0.0.1:4222", 1)
	fromEnv := writeFile(t, dir, "from-env.toml", cfg)
	t.Setenv("NOTIFIER_CONFIG", fromEnv)
	if code, stdout, stderr := cli(t, "check-config", "--offline"); code != exitOK || !strings.HasPrefix(stdout, "# "+fromEnv+": ok") {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
	t.Setenv("NOTIFIER_CONFIG", "")
	t.Chdir(dir)
	if code, _, stderr := cli(t, "check-config", "--offline"); code != exitUsage || !strings.Contains(stderr, "no configuration") {
		t.Errorf("without a file: exit %d, %s", code, stderr)
	}
	writeFile(t, dir, "notifier.toml", cfg)
	if code, stdout, stderr := cli(t, "check-config", "--offline"); code != exitOK || !strings.HasPrefix(stdout, "# notifier.toml: ok") {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
}

// drillBase has NATS, a critical-only webhook for the switchover, and a team webhook for
// spec changes; NATSURL and HOOK are replaced by the tests.
const drillBase = `
[[dcs.projects]]
region = "cn-north-4"
project_id = "0123456789abcdef0123456789abcdef"

[[dcs.projects]]
region = "cn-east-3"
project_id = "fedcba9876543210fedcba9876543210"

[nats]
url = "NATSURL"
jetstream = true

[[slack.webhooks]]
name = "oncall"
url_env = "NOTIFIER_TEST_HOOK_ONCALL"
min_severity = "critical"
task_names = ["masterStandbySwapJob"]

[[slack.webhooks]]
name = "team"
url_env = "NOTIFIER_TEST_HOOK_TEAM"
min_severity = "warning"
projects = ["0123456789abcdef0123456789abcdef"]
`

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("NOTIFIER_CONFIG", "")
	const hook = "https://hooks.slack.test/services/T0/B0/s3cr3tpath"
	good := map[string]string{
		"CLOUD_SDK_AK": "AKVALUE0000000000001", "CLOUD_SDK_SK": "skvalue-s3cr3t",
		"NOTIFIER_TEST_HOOK_ONCALL": hook, "NOTIFIER_TEST_HOOK_TEAM": hook,
	}
	base := strings.Replace(drillBase, "NATSURL", "nats://127.0.0.1:4222", 1)
	tests := []struct {
		name   string
		config string
		unset  []string
		set    map[string]string
		args   []string
		code   int
		stdout string
		stderr []string // the start of each line of stderr
	}{
		{name: "all there", config: base, code: exitOK, stdout: "ok, 2 project(s), receivers: nats, oncall, team; environment checked"},
		{
			name: "credentials missing", config: base, unset: []string{"CLOUD_SDK_AK", "CLOUD_SDK_SK"}, code: exitUsage,
			stderr: []string{"dcs.ak_env, dcs.sk_env: not set in the environment: CLOUD_SDK_AK, CLOUD_SDK_SK"},
		},
		{
			name: "webhook missing", config: base, unset: []string{"NOTIFIER_TEST_HOOK_TEAM"}, code: exitUsage,
			stderr: []string{`slack.webhooks[1].url_env: environment variable NOTIFIER_TEST_HOOK_TEAM is empty or unset (receiver "team")`},
		},
		{
			name: "webhook not a URL", config: base, set: map[string]string{"NOTIFIER_TEST_HOOK_ONCALL": "hooks.slack.test/s3cr3tpath"}, code: exitUsage,
			stderr: []string{`slack.webhooks[0].url_env: the webhook URL in environment variable NOTIFIER_TEST_HOOK_ONCALL is not an absolute http(s) URL`},
		},
		{
			name: "offline", config: base, unset: []string{"CLOUD_SDK_AK", "NOTIFIER_TEST_HOOK_TEAM"}, args: []string{"--offline"},
			code: exitOK, stdout: "environment not checked (--offline)",
		},
		{
			name: "never-matching filters warn", config: strings.Replace(strings.Replace(base, `"masterStandbySwapJob"`, `"masterStandbySwap"`, 1),
				`min_severity = "warning"`, `statuses = ["failed"]`, 1),
			code: exitOK, stdout: "ok, 2 project(s)",
			stderr: []string{
				`warning: slack.webhooks[0].task_names[0]: "masterStandbySwap" is not a task name the task center uses, so it never matches; did you mean "masterStandbySwapJob"?`,
				`warning: slack.webhooks[1].statuses[0]: "failed" never matches: the task center's statuses are upper case (did you mean "FAILED"?)`,
			},
		},
		{
			name: "strict", config: base + "\n[poll]\nterminal_statuses = [\"SUCCESS\"]\n", args: []string{"--strict"}, code: exitUsage,
			stderr: []string{"warning: poll.terminal_statuses: does not include FAILED", "1 warning(s), and --strict"},
		},
		{
			name: "warnings and a missing secret", config: base + "\n[poll]\nterminal_statuses = [\"FAILED\"]\n", unset: []string{"CLOUD_SDK_SK"},
			code:   exitUsage,
			stderr: []string{"warning: poll.terminal_statuses: does not include SUCCESS", "dcs.sk_env: not set in the environment: CLOUD_SDK_SK"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range good {
				t.Setenv(k, v)
			}
			for _, k := range tt.unset {
				t.Setenv(k, "")
			}
			for k, v := range tt.set {
				t.Setenv(k, v)
			}
			path := writeFile(t, dir, "c.toml", tt.config)
			code, stdout, stderr := cli(t, append([]string{"check-config", "--config", path}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, stdout)
			}
			if tt.code != exitOK && stdout != "" {
				t.Errorf("a failed check prints the configuration:\n%s", stdout)
			}
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if stderr == "" {
				lines = nil
			}
			if len(lines) != len(tt.stderr) {
				t.Errorf("stderr has %d lines, want %d:\n%s", len(lines), len(tt.stderr), stderr)
			}
			for i, want := range tt.stderr {
				if i < len(lines) && !strings.HasPrefix(lines[i], "notifier: "+path+": "+want) {
					t.Errorf("stderr line %d:\n%s\nwant it to start with\nnotifier: %s: %s", i, lines[i], path, want)
				}
			}
			for _, v := range []string{"AKVALUE0000000000001", "skvalue-s3cr3t", "s3cr3tpath"} {
				if strings.Contains(stdout+stderr, v) {
					t.Errorf("output shows the secret %q:\n%s%s", v, stdout, stderr)
				}
			}
		})
	}
}

func TestRoutes(t *testing.T) {
	path := writeFile(t, t.TempDir(), "c.toml", strings.Replace(drillBase, "NATSURL", "nats://127.0.0.1:4222", 1))
	tests := []struct {
		name string
		args []string
		code int
		want string // stdout, whole
	}{
		{
			name: "failed switchover", args: []string{"--task-name", "masterStandbySwapJob", "--status", "FAILED"}, code: exitOK,
			want: "# masterStandbySwapJob FAILED: severity critical, project 0123456789abcdef0123456789abcdef (cn-north-4, the first of dcs.projects; --project picks another)\n" +
				"nats: receives\noncall: receives\nteam: receives\n",
		},
		{
			name: "spec change", args: []string{"--task-name", "EXTEND", "--status", "SUCCESS"}, code: exitOK,
			want: "# EXTEND SUCCESS: severity info, project 0123456789abcdef0123456789abcdef (cn-north-4, the first of dcs.projects; --project picks another)\n" +
				"nats: receives\noncall: skipped, min_severity critical > info\nteam: skipped, min_severity warning > info\n",
		},
		{
			name: "other project", args: []string{"--task-name", "masterStandbySwapJob", "--status", "SUCCESS", "--project", "FEDCBA9876543210FEDCBA9876543210"}, code: exitOK,
			want: "# masterStandbySwapJob SUCCESS: severity warning, project fedcba9876543210fedcba9876543210 (cn-east-3, dcs.projects[1])\n" +
				"nats: receives\noncall: skipped, min_severity critical > warning\n" +
				"team: skipped, projects [0123456789abcdef0123456789abcdef] do not include fedcba9876543210fedcba9876543210\n",
		},
		{
			name: "suspect input is noted", args: []string{"--task-name", "masterStandbySwap", "--status", "failed"}, code: exitOK,
			want: "# masterStandbySwap failed: severity critical, project 0123456789abcdef0123456789abcdef (cn-north-4, the first of dcs.projects; --project picks another)\n" +
				"# \"masterStandbySwap\" is not a task name the task center is known to use; did you mean \"masterStandbySwapJob\"?\n" +
				"# \"failed\" is not upper case: the task center's statuses are\n" +
				"nats: receives\noncall: skipped, task_names [masterStandbySwapJob] do not include \"masterStandbySwap\"\nteam: receives\n",
		},
		{name: "no status", args: []string{"--task-name", "EXTEND"}, code: exitUsage},
		{name: "unknown project", args: []string{"--task-name", "EXTEND", "--status", "FAILED", "--project", "abc"}, code: exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, append([]string{"routes", "--config", path}, tt.args...)...)
			if code != tt.code || (tt.code == exitOK && stdout != tt.want) {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nwant:\n%s\nstderr: %s", code, tt.code, stdout, tt.want, stderr)
			}
		})
	}
}

// TestTestNotification fires a drill at an in-process JetStream server and two webhooks
// that answer as Slack does, one of whose channel is gone.
func TestTestNotification(t *testing.T) {
	srv := natstest.RunJetStream(t)
	nc, _ := natstest.Connect(t, srv)
	sub, err := nc.SubscribeSync("dcs.tasks.>")
	if err != nil {
		t.Fatal(err)
	}
	posts := make(chan string, 10)
	slackSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/services/T0/B0/live":
			posts <- string(body)
			_, _ = io.WriteString(w, "ok")
		case "/services/T0/B1/gone":
			http.Error(w, "channel_not_found", http.StatusNotFound)
		default:
			http.Error(w, "no_service", http.StatusNotFound)
		}
	}))
	t.Cleanup(slackSrv.Close)
	t.Setenv("NOTIFIER_TEST_HOOK_ONCALL", slackSrv.URL+"/services/T0/B0/live")
	t.Setenv("NOTIFIER_TEST_HOOK_TEAM", slackSrv.URL+"/services/T0/B1/gone")
	path := writeFile(t, t.TempDir(), "c.toml", strings.Replace(drillBase, "NATSURL", srv.ClientURL(), 1))

	code, stdout, stderr := cli(t, "test-notification", "--config", path)
	want := "# test event: type com.huaweicloud.dcs.notifier.test, NATS subject dcs.tasks._notifier.test\n" +
		"nats: ok\noncall: ok\nteam: failed: HTTP 404 channel_not_found\n"
	if code != exitRuntime || stdout != want {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nwant:\n%s\nstderr: %s", code, stdout, want, stderr)
	}
	msg, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var e event.Event
	if err := json.Unmarshal(msg.Data, &e); err != nil {
		t.Fatal(err)
	}
	if msg.Subject != "dcs.tasks._notifier.test" || e.Type != "com.huaweicloud.dcs.notifier.test" {
		t.Errorf("NATS got subject %q, type %q", msg.Subject, e.Type)
	}
	if post := <-posts; !strings.Contains(post, `"text":"[TEST] `) {
		t.Errorf("Slack post without a [TEST] headline: %s", post)
	}

	code, stdout, _ = cli(t, "test-notification", "--config", path, "--receiver", "oncall")
	if code != exitOK || stdout != "# test event: type com.huaweicloud.dcs.notifier.test\noncall: ok\n" {
		t.Errorf("--receiver oncall: exit %d\n%s", code, stdout)
	}
	<-posts

	code, stdout, stderr = cli(t, "test-notification", "--config", path, "--receiver", "oncall", "--receiver", "pager")
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, `unknown receiver "pager" (configured: nats, oncall, team)`) {
		t.Errorf("unknown receiver: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
}

// TestOnceDryRunRender: once --dry-run --render prints each receiver's share of one poll
// and sends nothing.
func TestOnceDryRunRender(t *testing.T) {
	sim := dcssim.New(dcssim.Options{AK: testAK, SK: testSK})
	sim.AddProject(projectA)
	sim.Put(projectA, dcssim.Task{ID: "t1", Name: event.SwitchoverTask, Status: "FAILED", CreatedAt: time.Now().UTC().Add(-time.Minute)})
	sim.Put(projectA, dcssim.Task{ID: "t2", Name: "EXTEND", Status: "SUCCESS", CreatedAt: time.Now().UTC().Add(-time.Minute)})
	api := httptest.NewServer(sim)
	t.Cleanup(api.Close)
	dir := t.TempDir()
	path := writeFile(t, dir, "c.toml", `
[dcs]
ak_env = "T_AK"
sk_env = "T_SK"
security_token_env = ""

[[dcs.projects]]
region = "cn-north-4"
project_id = "`+projectA+`"
endpoint = "`+api.URL+`"

[poll]
initial = "notify"

[nats]
url = "nats://127.0.0.1:1"

[[slack.webhooks]]
name = "oncall"
url_env = "NOTIFIER_TEST_HOOK_ONCALL"
min_severity = "critical"

[state]
path = "`+filepath.Join(dir, "state")+`"
`)
	t.Setenv("T_AK", testAK)
	t.Setenv("T_SK", testSK)
	code, stdout, stderr := cli(t, "once", "--config", path, "--dry-run", "--render")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"# nats (nats): 2 events\nsubject dcs.tasks." + projectA + ".",
		"# oncall (slack.webhooks[0]): 1 event in 1 message\n{",
		"Master/standby switchover failed",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Count(stdout, "\n") != 7 {
		t.Errorf("want 2 headers, 2 subjects, 2 events and 1 Slack message (7 lines):\n%s", stdout)
	}
}

// healthcheck exits 0 when /readyz answers 200, 1 with the reasons otherwise, and 1
// when nothing answers.
func TestHealthcheck(t *testing.T) {
	ready := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		if !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":"not ready","reasons":["nats: not connected"]}`))
			return
		}
		_, _ = w.Write([]byte(`{"status":"ready"}`))
	}))
	defer srv.Close()
	if code, _, stderr := cli(t, "healthcheck", "--url", srv.URL+"/readyz"); code != 0 {
		t.Errorf("ready: exit %d (%s), want 0", code, stderr)
	}
	ready = false
	if code, _, stderr := cli(t, "healthcheck", "--url", srv.URL+"/readyz"); code != 1 || !strings.Contains(stderr, "nats: not connected") {
		t.Errorf("not ready: exit %d, stderr %q; want 1 with the reasons", code, stderr)
	}
	srv.Close()
	if code, _, _ := cli(t, "healthcheck", "--url", srv.URL+"/readyz", "--timeout", "1s"); code != 1 {
		t.Errorf("no answer: exit %d, want 1", code)
	}
}
