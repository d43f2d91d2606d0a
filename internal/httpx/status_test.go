package httpx

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"notifier/internal/retry"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name       string
		code       int
		retryAfter string
		body       string
		permanent  bool
		after      time.Duration
		wantText   string
	}{
		{name: "200", code: 200, body: "ok"},
		{name: "202 of an events API", code: 202, body: `{"status":"success"}`},
		{name: "404 channel_not_found", code: 404, body: "channel_not_found", permanent: true, wantText: "HTTP 404 Not Found: channel_not_found"},
		{name: "400 invalid_payload", code: 400, body: "invalid_payload\n", permanent: true, wantText: "HTTP 400 Bad Request: invalid_payload"},
		{name: "redirect", code: 302, permanent: true, wantText: "HTTP 302 Found: redirects are not followed, check the URL"},
		{name: "408", code: 408, wantText: "HTTP 408 Request Timeout"},
		{name: "429 with Retry-After", code: 429, retryAfter: "7", body: "rate_limited", after: 7 * time.Second, wantText: "HTTP 429 Too Many Requests: rate_limited"},
		{name: "429 without Retry-After", code: 429, body: "message_limit_exceeded", wantText: "message_limit_exceeded"},
		{name: "429 with an unreadable Retry-After", code: 429, retryAfter: "soon", wantText: "HTTP 429"},
		{name: "500", code: 500, body: "<html>\n<body>oops</body>", wantText: "HTTP 500 Internal Server Error: <html>"},
		{name: "503 with Retry-After", code: 503, retryAfter: "2", after: 2 * time.Second, wantText: "HTTP 503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.retryAfter != "" {
				h.Set("Retry-After", tt.retryAfter)
			}
			err := Check(&Response{StatusCode: tt.code, Header: h, Body: []byte(tt.body)})
			if tt.code < 300 {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			var se *StatusError
			if !errors.As(err, &se) || se.StatusCode != tt.code {
				t.Fatalf("Check = %v, want a *StatusError of %d", err, tt.code)
			}
			if got := retry.IsPermanent(err); got != tt.permanent {
				t.Errorf("permanent = %v, want %v", got, tt.permanent)
			}
			if got := Retryable(tt.code); got == tt.permanent {
				t.Errorf("Retryable(%d) = %v, disagrees with Check", tt.code, got)
			}
			var ra *retry.RetryAfterError
			if got := time.Duration(0); errors.As(err, &ra) {
				got = ra.After
				if got != tt.after {
					t.Errorf("Retry-After = %v, want %v", got, tt.after)
				}
			} else if tt.after != 0 {
				t.Errorf("no *retry.RetryAfterError, want one of %v", tt.after)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q lacks %q", err, tt.wantText)
			}
			if tt.retryAfter == "soon" && strings.Contains(err.Error(), "soon") {
				t.Errorf("error %q quotes the Retry-After value", err)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name, value string
		want        time.Duration
	}{
		{"absent", "", 0},
		{"seconds", "30", 30 * time.Second},
		{"seconds with space", " 5 ", 5 * time.Second},
		{"zero", "0", 0},
		{"negative", "-3", 0},
		{"HTTP date", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"HTTP date in the past", now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"garbage", "soon", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.value != "" {
				h.Set("Retry-After", tt.value)
			}
			if got := RetryAfter(h, now); got != tt.want {
				t.Errorf("RetryAfter(%q) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}

func TestExcerpt(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"token", "channel_not_found", "channel_not_found"},
		{"first line only", "invalid_payload\nmore", "invalid_payload"},
		{"control characters", "a\tb\x00c", "a b c"},
		{"invalid UTF-8 dropped", "ok\xffok", "okok"},
		{"shortened", strings.Repeat("x", 300), strings.Repeat("x", maxExcerpt) + "..."},
		{"shortened on a rune boundary", strings.Repeat("x", maxExcerpt-1) + "é" + strings.Repeat("y", 10), strings.Repeat("x", maxExcerpt-1) + "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Excerpt([]byte(tt.body)); got != tt.want {
				t.Errorf("Excerpt = %q, want %q", got, tt.want)
			}
		})
	}
}
