package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A receiver's template is parsed at load: a mistake is a config error naming the key
// and the line, as every other problem of the file.
func TestTemplateErrorsAtLoad(t *testing.T) {
	for _, tt := range []struct{ name, doc, want string }{
		{"unknown function", `[[slack.webhooks]]
name = "oncall"
url_env = "HOOK"
template = '''{{define "headline"}}{{.Label}}
{{uper .Status}}{{end}}'''
`, `slack.webhooks[0].template: line 2: function "uper" not defined`},
		{"unclosed action", `[[pagerduty]]
name = "pd"
routing_key_env = "PD"
template = "{{.Label"
`, `pagerduty[0].template: line 1: unclosed action`},
		{"both", `[[alertmanager]]
name = "am"
url = "http://am:9093"
template = "{{.Label}}"
template_file = "am.tmpl"
`, `alertmanager[0].template: set template or template_file, not both`},
		{"a field that is not", `[[slack.channels]]
name = "live"
bot_token_env = "T"
channel = "C0123456789"
template = "{{.Label}} {{.Nope}}"
`, ""}, // a field is checked when executed: a fallback, not a load error
		{"nats", "[nats]\nurl = \"nats://127.0.0.1:4222\"\ntemplate = \"{{.Label}}\"\n", `unknown key "nats.template"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load([]byte(incidentBase + tt.doc))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("got %v, want it to load", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v, want %s", err, tt.want)
			}
		})
	}
}

// template_file is read where the receiver's other files are: check-config (without
// --offline) names a missing or broken one, with the file and the line.
func TestTemplateFileIsChecked(t *testing.T) {
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.tmpl"), filepath.Join(dir, "bad.tmpl")
	if err := os.WriteFile(good, []byte(`{{define "summary"}}{{.Label}} on {{.Instance}}{{end}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("{{define \"summary\"}}\n{{.Label | uper}}{{end}}"), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(string) string { return "0123456789abcdef0123456789abcdef" }
	for file, want := range map[string]string{
		good:                            "",
		bad:                             "pagerduty[0].template_file: " + bad + `: line 2: function "uper" not defined`,
		filepath.Join(dir, "none.tmpl"): "pagerduty[0].template_file: open " + filepath.Join(dir, "none.tmpl"),
	} {
		c, err := Load([]byte(incidentBase + "[nats]\nurl = \"\"\n[[pagerduty]]\nname = \"pd\"\nrouting_key_env = \"PD\"\ntemplate_file = \"" + file + "\"\n"))
		if err != nil {
			t.Fatal(err)
		}
		err = c.CheckEnvironment(getenv)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", file, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: got %v, want %s", file, err, want)
		}
	}
}
