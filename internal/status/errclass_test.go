package status

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"notifier/internal/httpx"
	"notifier/internal/retry"
)

// An error class never carries the error's own text: a URL, token or key in it stays out.
func TestErrorClassShowsNoSecret(t *testing.T) {
	const secret = "https://hooks.slack.com/services/T000/B000/XXXXSECRET"
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"status", retry.Permanent(fmt.Errorf("slack webhook: %w", &httpx.StatusError{StatusCode: 404, Body: "channel_not_found"})), "HTTP 404 Not Found: channel_not_found"},
		{"timeout", fmt.Errorf("post %s: %w", secret, context.DeadlineExceeded), "timeout"},
		{"nats not connected", errors.New("nats: not connected (RECONNECTING) " + secret), "not connected"},
		{"max payload", fmt.Errorf("nats publish: %w", nats.ErrMaxPayload), "event larger than the server accepts"},
		{"refused", errors.New("post <secret>: dial tcp 10.0.0.1:443: connect: connection refused"), "unreachable (connection refused)"},
		{"anything else", errors.New("weird failure at " + secret), "delivery failed (details in the log)"},
		{"nil", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ErrorClass(tt.err)
			if got != tt.want {
				t.Errorf("ErrorClass = %q, want %q", got, tt.want)
			}
			if strings.Contains(got, "hooks.slack.com") || strings.Contains(got, "SECRET") {
				t.Errorf("ErrorClass = %q shows the secret", got)
			}
		})
	}
}
