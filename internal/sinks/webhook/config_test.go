package webhook_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"notifier/internal/config"
	"notifier/internal/sinks/webhook"
)

const base = `
[[dcs.projects]]
region = "cn-north-4"
project_id = "0123456789abcdef0123456789abcdef"

[[webhook]]
name = "hook"
`

func TestDefaults(t *testing.T) {
	c, err := config.Load([]byte(base + "url_env = \"HOOK_URL\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	w := c.Webhook[0]
	if w.Method != http.MethodPost || w.Mode != webhook.Structured || w.ContentType != webhook.DefaultContentType ||
		w.Timeout.String() != "10s" || w.MinSeverity != "info" || w.MaxPending != 10000 {
		t.Errorf("defaults %+v", w)
	}
}

// Each mistake is an error naming its key.
func TestConfigErrorsNameTheKey(t *testing.T) {
	tests := []struct{ name, entry, want string }{
		{"no URL", ``, "webhook[0]: exactly one of url_env and url_file must be set"},
		{"both URLs", "url_env = \"A\"\nurl_file = \"/f\"", "webhook[0]: exactly one of url_env and url_file must be set"},
		{"url_env not a name", `url_env = "https://x"`, "webhook[0].url_env: "},
		{"method", "url_env = \"A\"\nmethod = \"GET\"", "webhook[0].method: "},
		{"mode", "url_env = \"A\"\nmode = \"batched\"", "webhook[0].mode: "},
		{"timeout", "url_env = \"A\"\ntimeout = \"10ms\"", "webhook[0].timeout: "},
		{"header name", "url_env = \"A\"\nheaders = { \"X Team\" = \"dcs\" }", `webhook[0].headers: "X Team" is not a header name`},
		{"reserved header", "url_env = \"A\"\nheaders = { \"Content-Type\" = \"x\" }", `webhook[0].headers: "Content-Type" is set by the notifier`},
		{"ce header", "url_env = \"A\"\nheaders_env = { \"ce-id\" = \"X\" }", `webhook[0].headers_env: "ce-id" is set by the notifier`},
		{"header in both", "url_env = \"A\"\nheaders = { \"Authorization\" = \"x\" }\nheaders_env = { \"Authorization\" = \"X\" }", `webhook[0].headers_env: "Authorization" is also in headers`},
		{"headers_env not a name", "url_env = \"A\"\nheaders_env = { \"Authorization\" = \"Bearer abc\" }", "webhook[0].headers_env.Authorization: "},
		{"signing secret both", "url_env = \"A\"\nsigning_secret_env = \"S\"\nsigning_secret_file = \"/s\"", "webhook[0].signing_secret_env: set only one"},
		{"template", "url_env = \"A\"\ntemplate = \"{{.Nope\"", "webhook[0].template: line 1: "},
		{"content_type", "url_env = \"A\"\ncontent_type = \"\"", ""},
		{"unknown key", "url_env = \"A\"\nurl = \"http://x\"", `unknown key "webhook[0].url"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load([]byte(base + tt.entry + "\n"))
			if tt.want == "" {
				if err != nil {
					t.Errorf("Load = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load = %v, want %q", err, tt.want)
			}
		})
	}
}

// The environment check reads what Open will and names the key, never a value.
func TestCheckEnvironment(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("no certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load([]byte(base + `url_env = "HOOK_URL"
headers_env = { "Authorization" = "HOOK_AUTH" }
signing_secret_env = "HOOK_SECRET"
tls_ca_file = "` + ca + `"
`))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOOK_URL": "hooks.example/S3cr3t"}
	err = c.CheckEnvironment(func(k string) string { return env[k] })
	for _, want := range []string{
		"webhook[0].url_env: the URL in environment variable HOOK_URL is not an absolute http(s) URL",
		"webhook[0].headers_env.Authorization: secret: environment variable HOOK_AUTH is empty or unset",
		"webhook[0].signing_secret_env: secret: environment variable HOOK_SECRET is empty or unset",
		"webhook[0].tls_ca_file: " + ca + " holds no PEM certificate",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckEnvironment = %v, want %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "S3cr3t") {
		t.Errorf("the error shows the URL: %v", err)
	}
}
