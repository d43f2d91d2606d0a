package dcs

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"notifier/internal/httpx"
)

// APIError is a non-200 answer from the API or its gateway.
type APIError struct {
	Status     int
	Code       string // error_code: "111400063", "APIGW.0308", ...
	Message    string // error_msg, shortened
	RequestID  string
	RetryAfter time.Duration // from Retry-After, 0 when absent
	Location   string        // host a redirect pointed to, if any
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dcs api: HTTP %d", e.Status)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.Location != "" {
		fmt.Fprintf(&b, " (redirect to %s not followed)", e.Location)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	return b.String()
}

// Auth reports whether the credentials were refused.
func (e *APIError) Auth() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

// Throttled reports whether the gateway asked us to slow down.
func (e *APIError) Throttled() bool {
	return e.Status == http.StatusTooManyRequests || e.Code == "APIGW.0308"
}

// TransportError is a request that got no complete answer: connection, TLS, timeout, or a
// body cut short.
type TransportError struct{ Err error }

func (e *TransportError) Error() string { return "dcs api: " + e.Err.Error() }
func (e *TransportError) Unwrap() error { return e.Err }

// IsAuth reports whether err means the API refused the credentials.
func IsAuth(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Auth()
}

// RetryAfter returns the delay the API asked for, if it asked.
func RetryAfter(err error) (time.Duration, bool) {
	var ae *APIError
	if errors.As(err, &ae) && ae.RetryAfter > 0 {
		return ae.RetryAfter, true
	}
	return 0, false
}

// IsTransient reports whether err is a failure that usually passes within seconds: an
// answer of HTTP 5xx or 408 (not a throttling one, which asks to slow down), or no complete
// answer at all (connection refused or reset, TLS, a timeout, a body cut short). A refused
// credential, a bad request or an unreadable answer is not.
func IsTransient(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return (ae.Status >= 500 || ae.Status == http.StatusRequestTimeout) && !ae.Throttled()
	}
	return errors.As(err, new(*TransportError))
}

// IsThrottled reports whether err is the gateway's throttling answer.
func IsThrottled(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Throttled()
}

func newAPIError(resp *http.Response, body []byte) *APIError {
	e := &APIError{
		Status:     resp.StatusCode,
		RequestID:  resp.Header.Get("X-Request-Id"),
		RetryAfter: httpx.RetryAfter(resp.Header, time.Now()),
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		if u, err := resp.Location(); err == nil {
			e.Location = u.Host
		}
	}
	var w struct {
		Code    flexString `json:"error_code"`
		Message flexString `json:"error_msg"`
	}
	if json.Unmarshal(body, &w) == nil {
		e.Code, e.Message = string(w.Code), shorten(string(w.Message))
	} else if len(body) > 0 {
		e.Message = "non-JSON body " + Snippet(body)
	}
	return e
}

func shorten(s string) string {
	const max = 200
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
