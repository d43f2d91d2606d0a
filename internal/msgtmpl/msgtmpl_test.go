package msgtmpl_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/linktmpl"
	"notifier/internal/msgtmpl"
	tu "notifier/internal/testkit/testutil"
)

var (
	now     = time.Date(2026, 12, 5, 3, 2, 0, 0, time.UTC)
	project = msgtmpl.Project{ID: "0123456789abcdef0123456789abcdef", Name: "prod-eu", Region: "cn-north-4"}
	// slackish escapes as Slack's mrkdwn needs.
	slackish = msgtmpl.Style{Parts: []string{"headline", "body"}, Mention: msgtmpl.SlackMention,
		Escape: strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace}
	plain = msgtmpl.Style{Parts: []string{"summary", "details"}}
)

func sample(t *testing.T, name string) event.Event {
	t.Helper()
	e, err := msgtmpl.Sample(name, project, now)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// render executes text for the sample called name and returns its parts.
func render(t *testing.T, s msgtmpl.Style, text, name string) (map[string]string, []error) {
	t.Helper()
	tp, err := msgtmpl.Parse("x.template", text, s)
	if err != nil {
		t.Fatal(err)
	}
	e := sample(t, name)
	return tp.Execute(msgtmpl.NewData(&e, msgtmpl.Env{Receiver: "oncall", Now: now}))
}

func TestFunctions(t *testing.T) {
	for _, tt := range []struct {
		name, text, want string
		style            msgtmpl.Style
	}{
		{"upper lower", `{{upper .Status}} {{lower .Severity | upper}}`, "FAILED CRITICAL", plain},
		{"title", `{{title "master and standby-switch"}}`, "Master And Standby-Switch", plain},
		{"join", `{{join ", " (slice .Task.name 0 6)}}|{{join "/" .Links}}`, "master|", plain},
		{"default", `{{.Data.Reason | default "no reason"}} {{.Instance | default "?"}}`, "no reason redis-orders-prod", plain},
		{"truncate", `{{truncate 20 "Master and standby switched on redis-orders-prod"}}`, "Master and standby…", plain},
		{"truncate short", `{{truncate 40 .TaskName}}`, "masterStandbySwapJob", plain},
		{"since", `{{since .Task.created_at}} {{since .Time}}`, "40s 0s", plain},
		{"date", `{{date "15:04 MST" .Time}} {{date "2006-01-02 15:04" "Asia/Shanghai" .Time}}`, "03:02 UTC 2026-12-05 11:02", plain},
		{"json", `{{json .Label}} {{json .Duration}}`, `"Master/standby switchover failed" 38000000000`, plain},
		{"mention plain", `{{mention "oncall"}}`, "@oncall", plain},
		{"mention slack", `{{mention "U012AB3CD"}} {{mention "S0123ABCD"}} {{mention "@here"}} {{mention "dba team"}}`,
			"<@U012AB3CD> <!subteam^S0123ABCD> <!here> @dba team", slackish},
		{"mention feishu", `{{mention "ou_7d8a6e6df7621556ce0d21922b676706"}} {{mention "everyone"}}`,
			`<at user_id="ou_7d8a6e6df7621556ce0d21922b676706"></at> <at user_id="all"></at>`,
			msgtmpl.Style{Parts: []string{"body"}, Mention: msgtmpl.FeishuMention}},
		{"data", `{{.Kind}} {{.Outcome}} {{.ErrorCode}} {{.ErrorMessage}} {{.ProjectName}} {{.InstanceID}} {{.Receiver}} {{.Data.Region}} {{.Task.user_name}}`,
			"status_changed failed 111400063 The master/standby switchover failed. prod-eu 2f4b9e2c-8d6a-4a51-9d3e-1c7a5b3e9f10 oncall cn-north-4 ops-admin", plain},
	} {
		t.Run(tt.name, func(t *testing.T) {
			parts, errs := render(t, tt.style, tt.text, "switchover-failed")
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if got := parts[tt.style.Parts[0]]; got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// Every value a Slack template prints is escaped as the API's values are: a task that
// names itself <!channel> mentions nobody, and only mention writes markup.
func TestSlackValuesAreEscaped(t *testing.T) {
	tp, err := msgtmpl.Parse("x", `{{define "headline"}}{{mention "here"}} {{.TaskName}} {{printf "%s" .Task.user_name}}{{end}}`, slackish)
	if err != nil {
		t.Fatal(err)
	}
	e := sample(t, "switchover-failed")
	e.Data.Task = []byte(`{"name":"<!channel>","user_name":"<https://evil|click>"}`)
	e.Data.TaskName = "<!channel>"
	parts, errs := tp.Execute(msgtmpl.NewData(&e, msgtmpl.Env{Now: now}))
	if want := "<!here> &lt;!channel&gt; &lt;https://evil|click&gt;"; len(errs) > 0 || parts["headline"] != want {
		t.Fatalf("got %q %v, want %q", parts["headline"], errs, want)
	}
}

// A template that defines none of the parts is split: the first line, then the rest.
func TestSplitAndNamedParts(t *testing.T) {
	parts, _ := render(t, plain, "\n{{.Label}}\nline two\nline three", "switchover-succeeded")
	if parts["summary"] != "Master/standby switchover succeeded" || parts["details"] != "line two\nline three" {
		t.Errorf("split: %q", parts)
	}
	parts, _ = render(t, plain, `{{define "details"}}a: b{{end}}ignored root`, "gap")
	if _, ok := parts["summary"]; ok || parts["details"] != "a: b" {
		t.Errorf("named: %q", parts)
	}
	one := msgtmpl.Style{Parts: []string{"body"}}
	parts, _ = render(t, one, "{\n  \"text\": {{json .Label}}\n}", "stuck")
	if parts["body"] != "{\n  \"text\": \"Master/standby switchover\"\n}" {
		t.Errorf("whole body: %q", parts["body"])
	}
}

func TestParseErrorsNameTheKeyAndLine(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{"{{define \"headline\"}}ok\n{{uper .Label}}{{end}}", `slack.webhooks[0].template: line 2: function "uper" not defined`},
		{"a\nb\n{{.Label", `slack.webhooks[0].template: line 3: unclosed action`},
		{`{{define "helper"}}x{{end}}`, `slack.webhooks[0].template: defines none of "headline" and "body" and has no text of its own: it would change nothing`},
	} {
		_, err := msgtmpl.Parse("slack.webhooks[0].template", tt.text, slackish)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%q: got %v, want %s", tt.text, err, tt.want)
		}
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.tmpl")
	if err := os.WriteFile(bad, []byte("{{define \"summary\"}}\n\n{{.Label | lowr}}{{end}}"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := msgtmpl.Load("pagerduty[0]", "", bad, &plain)
	if want := "pagerduty[0].template_file: " + bad + `: line 3: function "lowr" not defined`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	_, _, err = msgtmpl.Load("pagerduty[0]", "", filepath.Join(dir, "none.tmpl"), &plain)
	if err == nil || !strings.HasPrefix(err.Error(), "pagerduty[0].template_file: open "+filepath.Join(dir, "none.tmpl")) {
		t.Errorf("a missing file: %v", err)
	}
	if _, _, err = msgtmpl.Load("pagerduty[0]", "x", bad, &plain); err == nil || err.Error() != "pagerduty[0]: set template or template_file, not both" {
		t.Errorf("both: %v", err)
	}
}

// A part that fails to execute is left out (the built-in is used), logged and counted;
// the other parts still render.
func TestExecutionFailureFallsBackAndIsCounted(t *testing.T) {
	tp, err := msgtmpl.Parse("pagerduty[0].template", `{{define "summary"}}blind since {{since .Data.BlindSince}}{{end}}{{define "details"}}a: b{{end}}`, plain)
	if err != nil {
		t.Fatal(err)
	}
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "notifier_template_errors_total"}, []string{"receiver"})
	var logs tu.SyncBuffer
	r, err := msgtmpl.NewRenderer(msgtmpl.Options{Template: tp, Receiver: "pd", Log: zerolog.New(&logs), Errors: vec,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	e := sample(t, "switchover-failed") // no blind_since: since fails
	out := r.Render(&e)
	if got := out.Or("summary", "built-in"); got != "built-in" {
		t.Errorf("summary %q, want the built-in", got)
	}
	if f, err := out.Fields("details"); err != nil || f["a"] != "b" {
		t.Errorf("details %v %v", f, err)
	}
	if n := testutil.ToFloat64(vec.WithLabelValues("pd")); n != 1 {
		t.Errorf("counted %v, want 1", n)
	}
	if !strings.Contains(logs.String(), `"receiver":"pd"`) || !strings.Contains(logs.String(), "since: no time") {
		t.Errorf("log: %s", logs.String())
	}
	g := sample(t, "gap")
	if got := r.Render(&g).Or("summary", "built-in"); got != "blind since 10m0s" {
		t.Errorf("gap summary %q", got)
	}
	var none *msgtmpl.Renderer
	if got := none.Render(&e).Or("summary", "built-in"); got != "built-in" {
		t.Errorf("no template: %q", got)
	}
}

func TestFieldsRefuseALineWithoutAKey(t *testing.T) {
	tp, _ := msgtmpl.Parse("x", `{{define "details"}}runbook: https://wiki/x
just words{{end}}`, plain)
	r, _ := msgtmpl.NewRenderer(msgtmpl.Options{Template: tp, Receiver: "pd", Log: zerolog.Nop()})
	e := sample(t, "switchover-failed")
	if f, err := r.Render(&e).Fields("details"); err == nil || f != nil {
		t.Errorf("got %v, %v; want an error", f, err)
	}
}

// Cut keeps within n bytes, on a rune and, when one is near, a word boundary, with "…".
func TestCut(t *testing.T) {
	long := strings.Repeat("交换 switchover ", 200)
	got := msgtmpl.Cut(long, 1024)
	if len(got) > 1024 || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
		t.Fatalf("len %d, valid %v: %q", len(got), utf8.ValidString(got), got[len(got)-20:])
	}
	if body := strings.TrimSuffix(got, "…"); !strings.HasSuffix(body, "switchover") && !strings.HasSuffix(body, "交换") {
		t.Errorf("cut inside a word: …%q", body[len(body)-20:])
	}
	if msgtmpl.Cut("short", 1024) != "short" {
		t.Error("a short text changed")
	}
	word := strings.Repeat("x", 2000)
	if got := msgtmpl.Cut(word, 1024); len(got) != 1024 {
		t.Errorf("one long word: %d bytes", len(got))
	}
}

func TestSamples(t *testing.T) {
	for _, line := range msgtmpl.SampleNames() {
		name := strings.Fields(line)[0]
		e := sample(t, name)
		if e.ID == "" || e.Data.ProjectID != project.ID || e.Data.Region != project.Region {
			t.Errorf("%s: %+v", name, e)
		}
	}
	if _, err := msgtmpl.Sample("nope", project, now); err == nil || !strings.Contains(err.Error(), "switchover-failed") {
		t.Errorf("an unknown sample: %v", err)
	}
}

func TestLinksAreTheConfiguredOnes(t *testing.T) {
	tp, _ := msgtmpl.Parse("x", `{{range .Links}}{{.Text}}={{.URL}} {{end}}`, plain)
	r, err := msgtmpl.NewRenderer(msgtmpl.Options{Template: tp, Receiver: "pd", Log: zerolog.Nop(),
		Links: []linktmpl.Link{{Text: "Console", URL: "https://console.example.com/dcs/{{.InstanceID}}"}}})
	if err != nil {
		t.Fatal(err)
	}
	e := sample(t, "switchover-failed")
	if got := r.Render(&e).Get("summary"); got != "Console=https://console.example.com/dcs/2f4b9e2c-8d6a-4a51-9d3e-1c7a5b3e9f10" {
		t.Errorf("got %q", got)
	}
}
