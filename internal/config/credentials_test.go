package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// secretFile writes value to a file in a test directory and returns its path.
func secretFile(t *testing.T, name, value string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestReadCredentials(t *testing.T) {
	ak, sk := secretFile(t, "ak", "FILEAK"), secretFile(t, "sk", "file-sk-value")
	tests := []struct {
		name    string
		toml    string
		env     map[string]string
		want    DCSCredentials
		wantErr string
	}{
		{name: "default variables",
			env:  map[string]string{"CLOUD_SDK_AK": "ENVAK", "CLOUD_SDK_SK": "env-sk", "CLOUD_SDK_SECURITY_TOKEN": "tok"},
			want: DCSCredentials{AK: "ENVAK", SK: "env-sk", SecurityToken: "tok"}},
		{name: "no security token is none",
			env:  map[string]string{"CLOUD_SDK_AK": "ENVAK", "CLOUD_SDK_SK": "env-sk"},
			want: DCSCredentials{AK: "ENVAK", SK: "env-sk"}},
		{name: "files replace the default variables",
			toml: fmt.Sprintf("[dcs]\nak_file = %q\nsk_file = %q\n", ak, sk),
			env:  map[string]string{"CLOUD_SDK_AK": "ENVAK", "CLOUD_SDK_SK": "env-sk"},
			want: DCSCredentials{AK: "FILEAK", SK: "file-sk-value"}},
		{name: "both unset, named together",
			wantErr: "dcs.ak_env, dcs.sk_env: not set in the environment: CLOUD_SDK_AK, CLOUD_SDK_SK"},
		{name: "missing file names the key",
			toml:    fmt.Sprintf("[dcs]\nak_file = %q\n", filepath.Join(t.TempDir(), "nope")),
			env:     map[string]string{"CLOUD_SDK_SK": "env-sk"},
			wantErr: "dcs.ak_file: secret: open"},
		{name: "missing token file is an error",
			toml:    fmt.Sprintf("[dcs]\nsecurity_token_file = %q\n", filepath.Join(t.TempDir(), "nope")),
			env:     map[string]string{"CLOUD_SDK_AK": "ENVAK", "CLOUD_SDK_SK": "env-sk"},
			wantErr: "dcs.security_token_file: secret: open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load([]byte(tt.toml + project))
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.DCS.ReadCredentials(env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ReadCredentials error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ReadCredentials = %s/%s/%s", got.AK.Reveal(), got.SK.Reveal(), got.SecurityToken.Reveal())
			}
		})
	}
}

// TestCredentialsNeverPrint: the SK read from a file appears in no way of printing them.
func TestCredentialsNeverPrint(t *testing.T) {
	const sk = "very-secret-sk-0123456789"
	c, err := Load([]byte(fmt.Sprintf("[dcs]\nsk_file = %q\n", secretFile(t, "sk", sk)) + project))
	if err != nil {
		t.Fatal(err)
	}
	cr, err := c.DCS.ReadCredentials(env(map[string]string{"CLOUD_SDK_AK": "ENVAK"}))
	if err != nil {
		t.Fatal(err)
	}
	if out := fmt.Sprintf("%v %+v %#v %s", cr, cr, cr, cr); strings.Contains(out, sk) {
		t.Errorf("printed credentials show the SK: %s", out)
	}
}
