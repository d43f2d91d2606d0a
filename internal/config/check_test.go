package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// secretValues are the values the test environment holds; no message may show one.
var secretValues = []string{"AKVALUE0000000000001", "skvalue-0000000000000000", "hooks.example.test/services/T0/B0/s3cr3t",
	"ftp://not-a-hook/s3cr3t", "natstoken-s3cr3t"}

// checkBase is a valid file whose every secret the environment in TestCheckEnvironment
// provides; the cases append to it or replace a line.
const checkBase = `
[[dcs.projects]]
region = "cn-north-4"
project_id = "0123456789abcdef0123456789abcdef"

[nats]
url = "nats://127.0.0.1:4222"
token_env = "NATS_TOKEN"

[[slack.webhooks]]
name = "oncall"
url_env = "HOOK_ONCALL"

[[slack.webhooks]]
name = "team"
url_file = "HOOKFILE"
`

func TestCheckEnvironment(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	hookFile := write("team.url", "https://hooks.example.test/services/T0/B0/s3cr3t\n")
	badHookFile := write("bad.url", "ftp://not-a-hook/s3cr3t\n")
	notPEM := write("ca.pem", "no certificate here")
	env := map[string]string{
		"CLOUD_SDK_AK": "AKVALUE0000000000001", "CLOUD_SDK_SK": "skvalue-0000000000000000",
		"NATS_TOKEN": "natstoken-s3cr3t", "HOOK_ONCALL": "https://hooks.example.test/services/T0/B0/s3cr3t",
	}
	without := func(keys ...string) map[string]string {
		m := map[string]string{}
		for k, v := range env {
			m[k] = v
		}
		for _, k := range keys {
			delete(m, k)
		}
		return m
	}
	tests := []struct {
		name    string
		replace [2]string // old, new in checkBase
		extra   string    // appended to checkBase
		env     map[string]string
		want    []string // each in the error; none: no error
	}{
		{name: "all there", env: env},
		{
			name: "no credentials", env: without("CLOUD_SDK_AK", "CLOUD_SDK_SK"),
			want: []string{"dcs.ak_env, dcs.sk_env: not set in the environment: CLOUD_SDK_AK, CLOUD_SDK_SK"},
		},
		{
			name: "empty credential", env: func() map[string]string { m := without(); m["CLOUD_SDK_SK"] = ""; return m }(),
			want: []string{"dcs.sk_env: not set in the environment: CLOUD_SDK_SK"},
		},
		{
			name: "ak file missing", replace: [2]string{"[[dcs.projects]]", "[dcs]\nak_file = \"" + filepath.Join(dir, "nope") + "\"\n\n[[dcs.projects]]"},
			env: env, want: []string{"dcs.ak_file: secret: open " + filepath.Join(dir, "nope")},
		},
		{
			name: "webhook variable unset", env: without("HOOK_ONCALL"),
			want: []string{`slack.webhooks[0].url_env: environment variable HOOK_ONCALL is empty or unset (receiver "oncall")`},
		},
		{
			name: "webhook file missing", replace: [2]string{"HOOKFILE", filepath.Join(dir, "gone.url")}, env: env,
			want: []string{`slack.webhooks[1].url_file: secret: open ` + filepath.Join(dir, "gone.url") + `: no such file or directory (receiver "team")`},
		},
		{
			name: "webhook not http", replace: [2]string{"HOOKFILE", badHookFile}, env: env,
			want: []string{`slack.webhooks[1].url_file: the webhook URL in file ` + badHookFile + ` is not an absolute http(s) URL (receiver "team")`},
		},
		{
			name: "webhook relative", env: func() map[string]string { m := without(); m["HOOK_ONCALL"] = "/services/T0/B0/s3cr3t"; return m }(),
			want: []string{`slack.webhooks[0].url_env: the webhook URL in environment variable HOOK_ONCALL is not an absolute http(s) URL`},
		},
		{
			name: "nats token unset", env: without("NATS_TOKEN"),
			want: []string{"nats.token_env: secret: environment variable NATS_TOKEN is empty or unset"},
		},
		{
			name: "nats user and password both unset", replace: [2]string{`token_env = "NATS_TOKEN"`, "user_env = \"NATS_USER\"\npassword_env = \"NATS_PASSWORD\""},
			env: env, want: []string{"nats.user_env: secret: environment variable NATS_USER", "nats.password_env: secret: environment variable NATS_PASSWORD"},
		},
		{
			name: "nats files", replace: [2]string{`token_env = "NATS_TOKEN"`, "creds_file = \"" + filepath.Join(dir, "user.creds") +
				"\"\ntls_ca_file = \"" + dir + "\""},
			env: env, want: []string{"nats.creds_file: open " + filepath.Join(dir, "user.creds"), "nats.tls_ca_file: read " + dir + ": is a directory"},
		},
		{
			name: "nats ca not pem", replace: [2]string{`token_env = "NATS_TOKEN"`, "tls_ca_file = \"" + notPEM + "\""},
			env: env, want: []string{"nats.tls_ca_file: " + notPEM + " holds no PEM certificate"},
		},
		{
			name: "nats disabled", replace: [2]string{`url = "nats://127.0.0.1:4222"`, `url = ""`}, env: without("NATS_TOKEN"),
		},
		{
			name: "security token optional", replace: [2]string{"[[dcs.projects]]", "[dcs]\nsecurity_token_env = \"MY_TOKEN\"\n\n[[dcs.projects]]"}, env: env,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := strings.Replace(checkBase, "HOOKFILE", hookFile, 1)
			if tt.replace[0] != "" {
				text = strings.Replace(checkBase, tt.replace[0], tt.replace[1], 1)
				text = strings.Replace(text, "HOOKFILE", hookFile, 1)
			}
			c, err := Load([]byte(text + tt.extra))
			if err != nil {
				t.Fatal(err)
			}
			err = c.CheckEnvironment(func(k string) string { return tt.env[k] })
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			for _, s := range secretValues {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error shows the secret value %q:\n%v", s, err)
				}
			}
		})
	}
}
