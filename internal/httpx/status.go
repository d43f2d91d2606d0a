package httpx

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"notifier/internal/retry"
)

// StatusError is an answer outside 2xx. Its text says the status, the server's reason
// (a short excerpt of the body) and never the URL or a Retry-After value.
type StatusError struct {
	StatusCode int
	RetryAfter time.Duration // what Retry-After asked for; 0 when absent or unreadable
	Body       string        // the first line of the body, shortened, URL forms replaced by <secret>
}

// Error returns "HTTP 404 Not Found: channel_not_found" and the like.
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	switch {
	case e.Body != "":
		msg += ": " + e.Body
	case e.StatusCode >= 300 && e.StatusCode < 400:
		msg += ": redirects are not followed, check the URL"
	}
	return msg
}

// Retryable is the one classifier of status codes: it reports whether an answer with
// status code may succeed if the request is sent again. 408 (timeout), 429 (too many
// requests) and 5xx may; a 2xx needs no retry; anything else (a redirect, a 4xx) never
// will.
func Retryable(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

// Check classifies an answer for sinks.Dispatcher: nil for 2xx; for a retryable status a
// *StatusError, inside a *retry.RetryAfterError when Retry-After asked for a delay; for
// any other status a *StatusError wrapped with retry.Permanent. errors.As finds the
// *StatusError in each case.
func Check(resp *Response) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	// Redacted before it is shortened, so no cut can leave part of a secret.
	e := &StatusError{StatusCode: resp.StatusCode, Body: Excerpt([]byte(redact(string(resp.Body), resp.secrets)))}
	if !Retryable(resp.StatusCode) {
		return retry.Permanent(e)
	}
	if e.RetryAfter = RetryAfter(resp.Header, time.Now()); e.RetryAfter > 0 {
		return &retry.RetryAfterError{After: e.RetryAfter, Err: e}
	}
	return e
}

// RetryAfter reads a Retry-After header, delay-seconds or an HTTP date, as a delay from
// now. It is 0 when the header is absent, unreadable or in the past.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s > 0 {
			return time.Duration(s) * time.Second
		}
		return 0
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// maxExcerpt bounds Excerpt, in bytes.
const maxExcerpt = 120

// Excerpt returns what of a body a person can read in a log line: its first line,
// trimmed, with control characters replaced, invalid UTF-8 dropped, and shortened to
// about 120 bytes.
func Excerpt(body []byte) string {
	if i := bytes.IndexAny(body, "\r\n"); i >= 0 {
		body = body[:i]
	}
	s := strings.TrimSpace(strings.ToValidUTF8(string(body[:min(len(body), maxExcerpt+utf8.UTFMax)]), ""))
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxExcerpt {
		cut := maxExcerpt
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}
