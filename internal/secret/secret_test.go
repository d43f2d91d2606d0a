package secret

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecretNeverPrints(t *testing.T) {
	const value = "https://hooks.slack.com/services/T000/B000/XXXX"
	s := Secret(value)
	holder := struct {
		URL Secret
		Ptr *Secret
	}{URL: s, Ptr: &s}
	jsonOf := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	text, _ := s.MarshalText()
	outputs := map[string]string{
		"%v":          fmt.Sprintf("%v", s),
		"%s":          fmt.Sprintf("%s", s),
		"%+v":         fmt.Sprintf("%+v", s),
		"%#v":         fmt.Sprintf("%#v", s),
		"%q":          fmt.Sprintf("%q", s),
		"%x":          fmt.Sprintf("%x", s),
		"struct %v":   fmt.Sprintf("%v", holder),
		"struct %+v":  fmt.Sprintf("%+v", holder),
		"struct %#v":  fmt.Sprintf("%#v", holder),
		"ptr %v":      fmt.Sprintf("%v", &s),
		"json":        jsonOf(s),
		"json struct": jsonOf(holder),
		"text":        string(text),
		"String":      s.String(),
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(out, value) || strings.Contains(out, "hooks.slack") {
				t.Errorf("leaks the secret: %s", out)
			}
		})
	}
	if s.Reveal() != value {
		t.Errorf("Reveal() = %q", s.Reveal())
	}
	if got := fmt.Sprint(s); got != "<secret>" {
		t.Errorf("Sprint = %q, want <secret>", got)
	}
	var decoded string
	if err := json.Unmarshal([]byte(jsonOf(s)), &decoded); err != nil || decoded != "<secret>" {
		t.Errorf("json decodes to %q, %v; want <secret>", decoded, err)
	}
	if got := fmt.Sprint(Secret("")); got != "" {
		t.Errorf("empty secret prints %q", got)
	}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good", "  s3cr3t-value\n")
	blank := write("blank", " \n\t\n")
	big := write("big", strings.Repeat("x", maxSecretFile+1))
	env := map[string]string{"SLACK_URL": "env-s3cr3t", "EMPTY": ""}
	getenv := func(k string) string { return env[k] }

	tests := []struct {
		name    string
		env     string
		file    string
		want    string
		wantErr string
	}{
		{name: "env", env: "SLACK_URL", want: "env-s3cr3t"},
		{name: "file is trimmed", file: good, want: "s3cr3t-value"},
		{name: "unset env", env: "NOPE", wantErr: "environment variable NOPE is empty or unset"},
		{name: "empty env", env: "EMPTY", wantErr: "environment variable EMPTY is empty or unset"},
		{name: "blank file", file: blank, wantErr: "file " + blank + " is empty"},
		{name: "missing file", file: filepath.Join(dir, "nope"), wantErr: filepath.Join(dir, "nope")},
		{name: "big file", file: big, wantErr: "is larger than"},
		{name: "both", env: "SLACK_URL", file: good, wantErr: "set only one"},
		{name: "neither", wantErr: "neither"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Read(tc.env, tc.file, getenv)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "s3cr3t") {
					t.Errorf("error leaks the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Reveal() != tc.want {
				t.Errorf("got %q, want %q", got.Reveal(), tc.want)
			}
		})
	}
}

func TestReadSecretDefaultsToOSGetenv(t *testing.T) {
	t.Setenv("NOTIFIER_TEST_SECRET", "from-os")
	got, err := Read("NOTIFIER_TEST_SECRET", "", nil)
	if err != nil || got.Reveal() != "from-os" {
		t.Errorf("got %q, %v", got.Reveal(), err)
	}
}

func TestLooksLikeSecret(t *testing.T) {
	for name, want := range map[string]bool{
		"CLOUD_SDK_AK":                             false,
		"NOTIFIER_TEST_HOOK_ONCALL":                false,
		"SLACK_WEBHOOK_URL_2":                      false,
		"CONFIGURATIONFILENAME":                    false, // long, but a word
		"AK7Q2XR9ZL0M4B8N1CVD":                     true,  // an access key
		"a1b2c3d4e5f60718293a4b5c6d7e8f90":         true,  // a routing key
		"Zk3mQ9vX2pL7rT4wY8nB1cD6fG0hJ5sA9eK2uM3o": true,  // a secret key
		"MY_xK3m9Q2vX7pL4rT8w":                     true,  // a token after a prefix
	} {
		if got := looksLikeSecret(name); got != want {
			t.Errorf("looksLikeSecret(%q) = %v, want %v", name, got, want)
		}
	}
}
