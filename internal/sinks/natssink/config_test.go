package natssink

import (
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

func TestReadAuth(t *testing.T) {
	tok, user, pass := secretFile(t, "token", "file-token"), secretFile(t, "user", "svc"), secretFile(t, "pass", "pw")
	tests := []struct {
		name    string
		nats    Config
		env     map[string]string
		want    Auth
		wantErr string
	}{
		{name: "none", want: Auth{}},
		{name: "token from a variable", nats: Config{TokenEnv: "T"}, env: map[string]string{"T": "env-token"},
			want: Auth{Token: "env-token"}},
		{name: "token from a file", nats: Config{TokenFile: tok}, want: Auth{Token: "file-token"}},
		{name: "user from a file, password from a variable", nats: Config{UserFile: user, PasswordEnv: "P"},
			env: map[string]string{"P": "env-pw"}, want: Auth{User: "svc", Password: "env-pw"}},
		{name: "user and password from files", nats: Config{UserEnv: "U", PasswordFile: pass},
			env: map[string]string{"U": "svc"}, want: Auth{User: "svc", Password: "pw"}},
		{name: "unset token variable", nats: Config{TokenEnv: "T"},
			wantErr: "nats.token_env: secret: environment variable T is empty or unset"},
		{name: "missing password file", nats: Config{UserEnv: "U", PasswordFile: filepath.Join(t.TempDir(), "nope")},
			env: map[string]string{"U": "svc"}, wantErr: "nats.password_file: secret: open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.nats.ReadAuth(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ReadAuth error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ReadAuth = %s/%s/%s", got.Token.Reveal(), got.User.Reveal(), got.Password.Reveal())
			}
		})
	}
}
