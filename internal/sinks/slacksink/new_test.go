package slacksink

import (
	"strings"
	"testing"

	"notifier/internal/config"
)

func TestNewRejects(t *testing.T) {
	const secret = "https://hooks.slack.com/services/T0/B0/SECRETTOKEN"
	tests := []struct {
		name, want string
		o          Options
	}{
		{"no name", "slack.webhooks[2].name: required", Options{Index: 2, URL: secret}},
		{"no scheme", "slack.webhooks[1]: the webhook URL (from environment variable HOOK)",
			Options{Index: 1, URL: "hooks.slack.com/services/SECRETTOKEN", Webhook: config.Webhook{URLEnv: "HOOK"}}},
		{"bad scheme", "not an absolute http(s) URL", Options{URL: "ftp://x/SECRETTOKEN"}},
		{"unparsable", "not an absolute http(s) URL", Options{URL: "https://h/%zzSECRETTOKEN"}},
		{"empty", "not an absolute http(s) URL", Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "SECRETTOKEN") {
				t.Errorf("error shows the URL: %v", err)
			}
		})
	}
}
