package app_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/msgtmpl"
	"notifier/internal/testkit/testutil"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata")

// templateConfig has one receiver of each kind that takes a template, each with one.
const templateConfig = `
[[dcs.projects]]
region = "cn-north-4"
project_id = "0123456789abcdef0123456789abcdef"
name = "prod-eu"

[nats]
url = ""

[[slack.links]]
text = "Console"
url = "https://console.example.com/dcs/{{.InstanceID}}"

[[slack.webhooks]]
name = "oncall"
url_env = "SLACK_ONCALL_WEBHOOK"
template = '''
{{define "headline"}}{{if eq .Outcome "failed"}}{{mention "S0123ABCD"}} {{end}}{{.Label}} · {{.Instance | default .ProjectName}} · {{.Region}}{{end}}
{{define "body"}}Task ` + "`{{.TaskName}}`" + ` is {{.Status}}{{with .ErrorCode}}, error code {{.}}{{end}} after {{.Duration}}.{{range .Links}} <{{.URL}}|{{.Text}}>{{end}}{{end}}
'''

[[pagerduty]]
name = "pd"
routing_key_env = "PD_ROUTING_KEY"
template = '''
{{define "summary"}}【{{upper .Severity}}】{{.ProjectName}} 的实例 {{.Instance | default "未知实例"}}：{{.TaskName}} {{.Status}}（{{date "01-02 15:04" "Asia/Shanghai" .Time}}）{{end}}
{{define "details"}}runbook: https://wiki.example.com/dcs/{{.TaskName}}
owner: {{mention "dba-oncall"}}
incident: {{.Alert}}{{end}}
'''

[[alertmanager]]
name = "am"
url = "http://alertmanager:9093"
template = '''{{.Label}} on {{.Instance | default .ProjectName}} ({{.Region}})
{{.TaskName}} is {{.Status}}{{with .PreviousStatus}}, was {{.}}{{end}}{{if .Duration}}, running {{.Duration}}{{end}}.'''
`

var (
	renderAt      = time.Date(2026, 12, 5, 3, 2, 49, 0, time.UTC)
	sampleProject = msgtmpl.Project{ID: "0123456789abcdef0123456789abcdef", Name: "prod-eu", Region: "cn-north-4"}
)

// golden compares got with testdata/template/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "template", name)
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run %s -update writes it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from what the template renders (go test -update rewrites it):\n%s", path, got)
	}
}

// Each kind's template, rendered by the kind's own code for a failed switchover (and a
// stuck one for Alertmanager), matches its golden file.
func TestTemplateRenderGolden(t *testing.T) {
	cfg, err := config.Load([]byte(templateConfig))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ receiver, sample, file string }{
		{"oncall", "switchover-failed", "slack.golden"},
		{"pd", "switchover-failed", "pagerduty.golden"},
		{"am", "stuck", "alertmanager.golden"},
	} {
		t.Run(tt.receiver, func(t *testing.T) {
			e, err := msgtmpl.Sample(tt.sample, sampleProject, renderAt)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			failed, err := app.RenderTemplate(t.Context(), cfg, zerolog.Nop(), tt.receiver, []event.Event{e}, renderAt, &out)
			if err != nil || failed != 0 {
				t.Fatalf("failed %d, %v", failed, err)
			}
			golden(t, tt.file, out.String())
		})
	}
}

// A template that fails for an event (since of a time a switchover lacks) sends the
// built-in text and is counted in notifier_template_errors_total, which RenderTemplate
// reads back; the log says which receiver and event, and never a secret.
func TestTemplateRenderFallsBackAndCounts(t *testing.T) {
	cfg, err := config.Load([]byte(strings.Replace(templateConfig, "{{.Label}} on", "{{since .Data.BlindSince}} {{.Label}} on", 1)))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := msgtmpl.Sample("stuck", sampleProject, renderAt)
	var out bytes.Buffer
	var logs testutil.SyncBuffer
	failed, err := app.RenderTemplate(t.Context(), cfg, zerolog.New(&logs), "am", []event.Event{e}, renderAt, &out)
	if err != nil || failed != 1 {
		t.Fatalf("failed %d, %v; want 1 part failed", failed, err)
	}
	for _, want := range []string{`"summary": "DCS masterStandbySwapJob still RUNNING after 45m0s on instance redis-orders-prod in prod-eu (cn-north-4)"`,
		`"description": "task ff8080819a5f2a3b019a6c1d2e3f4a5b (masterStandbySwapJob) is RUNNING`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the built-in text is not sent: lacks %s\n%s", want, out.String())
		}
	}
	if !strings.Contains(logs.String(), `"receiver":"am"`) || !strings.Contains(logs.String(), e.ID) || !strings.Contains(logs.String(), "alertmanager[0].template:1:") {
		t.Errorf("log: %s", logs.String())
	}
	if _, err := app.RenderTemplate(t.Context(), cfg, zerolog.Nop(), "nope", []event.Event{e}, renderAt, &out); err == nil ||
		!strings.Contains(err.Error(), `unknown receiver "nope" (configured: oncall, pd, am)`) {
		t.Errorf("an unknown receiver: %v", err)
	}
}

// PagerDuty's summary is at most 1024 bytes, cut at a word with "…", however long the
// template makes it.
func TestTemplateSummaryIsCutAt1024(t *testing.T) {
	cfg, err := config.Load([]byte(strings.Replace(templateConfig, `{{define "summary"}}`, `{{define "summary"}}{{range 300}}switchover {{end}}`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := msgtmpl.Sample("switchover-failed", sampleProject, renderAt)
	var out bytes.Buffer
	if _, err := app.RenderTemplate(t.Context(), cfg, zerolog.Nop(), "pd", []event.Event{e}, renderAt, &out); err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(out.String(), `"summary": "`)
	summary, _, _ := strings.Cut(after, `",`)
	if len(summary) > 1024 || len(summary) < 1000 || !strings.HasSuffix(summary, "switchover…") {
		t.Errorf("summary of %d bytes: …%s", len(summary), summary[max(len(summary)-40, 0):])
	}
}
