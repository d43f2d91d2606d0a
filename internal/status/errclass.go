package status

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"notifier/internal/httpx"
)

// ErrorClass says why a delivery failed in words safe to show anyone: the answer of an
// HTTP receiver as httpx.StatusError renders it (its body excerpt has URL forms
// replaced), or a fixed phrase. It never returns an error's own text, which may quote a
// URL, a token or a key.
func ErrorClass(err error) string {
	var se *httpx.StatusError
	var js *jetstream.APIError
	var ne net.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &se):
		return se.Error()
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout(), errors.Is(err, nats.ErrTimeout):
		return "timeout"
	case errors.Is(err, nats.ErrMaxPayload), errors.Is(err, jetstream.ErrStreamMessageExceedsMaximum):
		return "event larger than the server accepts"
	case errors.Is(err, nats.ErrNoResponders), errors.Is(err, jetstream.ErrNoStreamResponse):
		return "no stream for the subject"
	case errors.As(err, &js):
		return "JetStream error " + itoa(int64(js.ErrorCode))
	case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrConnectionDraining),
		errors.Is(err, nats.ErrConnectionReconnecting), strings.Contains(err.Error(), "nats: not connected"):
		return "not connected"
	case errors.As(err, new(*net.OpError)), errors.As(err, new(*net.DNSError)):
		return "unreachable"
	}
	// Errors that crossed a scrubbing boundary (httpx) are plain text: known phrases only.
	msg := err.Error()
	for _, p := range []struct{ in, class string }{
		{"Client.Timeout", "timeout"}, {"deadline exceeded", "timeout"}, {"i/o timeout", "timeout"},
		{"connection refused", "unreachable (connection refused)"}, {"no such host", "unreachable (no such host)"},
		{"connection reset", "unreachable (connection reset)"}, {"EOF", "connection closed by the server"},
		{"certificate", "TLS certificate refused"},
	} {
		if strings.Contains(msg, p.in) {
			return p.class
		}
	}
	return "delivery failed (details in the log)"
}
