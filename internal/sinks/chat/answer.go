package chat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"notifier/internal/httpx"
	"notifier/internal/retry"
	"notifier/internal/secret"
)

// Refused is a robot's answer with an error code: the kind's name, the code and the
// robot's message (scrubbed of the URL).
type Refused struct {
	Kind string
	Code int
	Msg  string
}

// Error returns "feishu: code 19021: sign match fail..." and the like.
func (e *Refused) Error() string {
	return fmt.Sprintf("%s: code %d: %s", e.Kind, e.Code, e.Msg)
}

// Post posts body to the robot at u (query: more query parameters, a signature) and
// classifies the answer: decode reads the robot's code and message from the body
// (ok: the body had a code); retryCode says which codes are worth a retry (a rate
// limit). A code other than 0 is a *Refused, wrapped with retry.Permanent unless
// retryCode says otherwise; without a code, the HTTP status decides as httpx.Check does.
func Post(ctx context.Context, c *http.Client, kind string, u secret.Secret, query string, body any,
	decode func([]byte) (code int, msg string, ok bool), retryCode func(int) bool) error {
	raw := u.Reveal()
	if query != "" {
		raw += sep(raw) + query
	}
	resp, err := httpx.PostJSON(ctx, c, raw, body)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%s: %w", kind, err)
	}
	if code, msg, ok := decode(resp.Body); ok && code != 0 {
		r := &Refused{Kind: kind, Code: code, Msg: httpx.Excerpt([]byte(Scrub(msg, u)))}
		if retryCode(code) || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			if d := httpx.RetryAfter(resp.Header, time.Now()); d > 0 {
				return &retry.RetryAfterError{Err: r, After: d}
			}
			return r
		}
		return retry.Permanent(r)
	}
	resp.Body = []byte(Scrub(string(resp.Body), u))
	if err := httpx.Check(resp); err != nil {
		return fmt.Errorf("%s: %w", kind, err)
	}
	return nil
}

// IsRefused returns the robot's refusal in err, if it is one.
func IsRefused(err error) (*Refused, bool) {
	var r *Refused
	ok := errors.As(err, &r)
	return r, ok
}

func sep(raw string) string {
	for i := range len(raw) {
		if raw[i] == '?' {
			return "&"
		}
	}
	return "?"
}
