package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"notifier/internal/msgtmpl"
)

// templateFile writes a configuration with a Slack webhook and a PagerDuty integration,
// each with a template, and returns its path.
func templateFile(t *testing.T, slackTemplate string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notifier.toml")
	doc := `
[[dcs.projects]]
region = "cn-north-4"
project_id = "0123456789abcdef0123456789abcdef"
name = "prod-eu"

[nats]
url = ""

[[slack.webhooks]]
name = "oncall"
url_env = "NOT_READ_BY_RENDER"
template = '''` + slackTemplate + `'''

[[pagerduty]]
name = "pd"
routing_key_env = "NOT_READ_EITHER"
template = '''{{define "summary"}}{{.TaskName}} {{.Status}} on {{.Instance}}{{end}}'''
`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const oncallTemplate = `{{define "headline"}}{{mention "U012AB3CD"}} {{.Label}} in {{.ProjectName}}{{end}}`

// A built-in sample, rendered by the receiver's kind: the Slack message with the
// template's headline, the PagerDuty request with its summary.
func TestTemplateRenderASample(t *testing.T) {
	path := templateFile(t, oncallTemplate)
	code, stdout, stderr := cli(t, "template", "render", "--config", path, "--receiver", "oncall", "--sample", "switchover-failed")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	for _, want := range []string{"# oncall (slack.webhooks[0]), template slack.webhooks[0].template: 1 event in 1 message\n",
		`"text": "<@U012AB3CD> Master/standby switchover failed in prod-eu"`, `"color": "#E01E5A"`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("lacks %s:\n%s", want, stdout)
		}
	}
	// The default sample is the failed switchover; PagerDuty triggers on it.
	code, stdout, _ = cli(t, "template", "render", "--config", path, "--receiver", "pd")
	if code != exitOK || !strings.Contains(stdout, `"summary": "masterStandbySwapJob FAILED on redis-orders-prod"`) ||
		!strings.Contains(stdout, `"routing_key": "REDACTED"`) {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
	// A success opens nothing in PagerDuty: nothing is sent, and it says so.
	code, stdout, _ = cli(t, "template", "render", "--config", path, "--receiver", "pd", "--sample", "switchover-succeeded")
	if code != exitOK || !strings.Contains(stdout, "# nothing is sent for this") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
}

// A saved CloudEvent, as notifier once --dry-run prints them (one JSON object a line).
func TestTemplateRenderASavedEvent(t *testing.T) {
	path := templateFile(t, oncallTemplate)
	p := msgtmpl.Project{ID: "0123456789abcdef0123456789abcdef", Name: "prod-eu", Region: "cn-north-4"}
	at := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
	var lines []string
	for _, name := range []string{"switchover-started", "gap"} {
		e, err := msgtmpl.Sample(name, p, at)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	file := filepath.Join(t.TempDir(), "events.json")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := cli(t, "template", "render", "--config", path, "--receiver", "oncall", "--event", file)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	for _, want := range []string{"2 events in 2 messages", `"text": "<@U012AB3CD> Master/standby switchover in prod-eu"`,
		// A gap has no label: the template's headline still renders, around it.
		`"text": "<@U012AB3CD>  in prod-eu"`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("lacks %s:\n%s", want, stdout)
		}
	}
}

func TestTemplateRenderRefuses(t *testing.T) {
	path := templateFile(t, oncallTemplate)
	broken := templateFile(t, `{{define "headline"}}{{.Label}} after {{since .Data.BlindSince}}{{end}}`)
	notJSON := filepath.Join(t.TempDir(), "x.json")
	if err := os.WriteFile(notJSON, []byte(`{"id": "x"`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no receiver", []string{"--config", path}, exitUsage, "--receiver is required"},
		{"unknown receiver", []string{"--config", path, "--receiver", "nope"}, exitUsage, `unknown receiver "nope" (configured: oncall, pd)`},
		{"unknown sample", []string{"--config", path, "--receiver", "oncall", "--sample", "boom"}, exitUsage,
			"unknown sample \"boom\" (known: switchover-started, switchover-succeeded, switchover-failed, stuck, gap, restored, test); the samples:\n  switchover-started"},
		{"both", []string{"--config", path, "--receiver", "oncall", "--sample", "gap", "--event", notJSON}, exitUsage, "not both"},
		{"a broken event file", []string{"--config", path, "--receiver", "oncall", "--event", notJSON}, exitUsage, "x.json: event 1: unexpected EOF"},
		{"a template that fails", []string{"--config", broken, "--receiver", "oncall"}, exitRuntime, "1 template part(s) failed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, append([]string{"template", "render"}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nstdout:\n%s", code, tt.code, stderr, stdout)
			}
		})
	}
	// Failing, it still shows what would be sent: the built-in headline.
	_, stdout, _ := cli(t, "template", "render", "--config", broken, "--receiver", "oncall")
	if !strings.Contains(stdout, `"text": "🔴 *Master/standby switchover failed*`) {
		t.Errorf("the built-in text is not shown:\n%s", stdout)
	}
}
