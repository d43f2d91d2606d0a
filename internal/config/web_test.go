package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"notifier/internal/testkit/testutil"
)

// check-config reads http.web_config_file as the listener will: a valid file passes; a
// plain password where a bcrypt hash belongs, a certificate that is not there, and a key
// that does not go with the certificate are each reported under the key, without the
// password; a web config without a listener is refused by Validate.
func TestCheckWebConfig(t *testing.T) {
	dir := t.TempDir()
	valid := testutil.WebConfig(t, dir, "prometheus", "s3cr3t-scrape")
	write := func(name, yml string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(yml), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	_, otherKey := testutil.SelfSignedCert(t, t.TempDir(), "other.example")
	for _, tt := range []struct {
		name, file string
		want       string // "" valid
	}{
		{"valid", valid, ""},
		{"plain password", write("plain.yml", "basic_auth_users:\n  prometheus: hunter2-plain\n"), "not a bcrypt hash"},
		{"missing cert", write("nocert.yml", "tls_server_config:\n  cert_file: gone.pem\n  key_file: key.pem\n"), "gone.pem"},
		{"key of another cert", write("otherkey.yml", "tls_server_config:\n  cert_file: cert.pem\n  key_file: "+otherKey+"\n"), "X509KeyPair"},
		{"unknown key", write("typo.yml", "basic_auth_user:\n  a: b\n"), "basic_auth_user"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := HTTP{Listen: "127.0.0.1:9464", WebConfigFile: tt.file}
			err := h.CheckWebConfig()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckWebConfig = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "http.web_config_file: "+tt.file) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("CheckWebConfig = %v, want an error naming the key, the file and %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "'h'") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}

	cfg := Default()
	cfg.DCS.Projects = []Project{{Region: "cn-north-4", ProjectID: "0123456789abcdef0123456789abcdef"}}
	cfg.NATS.URL = ""
	cfg.HTTP.WebConfigFile = filepath.Join(dir, "plain.yml")
	env := map[string]string{"CLOUD_SDK_AK": "AK", "CLOUD_SDK_SK": "SK"}
	if err := cfg.CheckEnvironment(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "http.web_config_file") {
		t.Errorf("CheckEnvironment = %v, want the web config's problem", err)
	}
	cfg.HTTP.Listen = ""
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "http.web_config_file") {
		t.Errorf("Validate with a web config and no listener = %v, want an error naming http.web_config_file", err)
	}
}
