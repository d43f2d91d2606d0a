package slacksink

import (
	"strings"
	"testing"
)

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name, want string
		o          Options
	}{
		// A missing name is config's to refuse (slack.webhooks[i].name: required), before
		// any receiver is opened; New checks what was read outside the file, the URL.
		{"no scheme", "slack.webhooks[1]: the webhook URL (from environment variable HOOK)",
			Options{Key: "slack.webhooks[1]", URL: "hooks.slack.com/services/SECRETTOKEN", Webhook: WebhookConfig{URLEnv: "HOOK"}}},
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
