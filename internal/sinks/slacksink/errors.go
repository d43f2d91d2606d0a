package slacksink

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"notifier/internal/sinks"
)

// StatusError is an answer other than 200 from the webhook.
type StatusError struct {
	Code int    // HTTP status
	Body string // Slack's error token such as channel_not_found, or ""
}

// Error says the status and Slack's error token; it never contains the URL.
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("slack webhook answered %d %s", e.Code, http.StatusText(e.Code))
	switch {
	case e.Body != "":
		msg += ": " + e.Body
	case e.Code >= 300 && e.Code < 400:
		msg += ": redirects are not followed, check the webhook URL"
	}
	return msg
}

// classify turns slack-go's error into what the Dispatcher acts on: nil, permanent (a
// 4xx other than 408 and 429, or a redirect), a RetryAfterError (429 with Retry-After), or
// retryable (429 without it, such as message_limit_exceeded, 5xx, transport errors).
func (s *Sink) classify(err error, body string) error {
	if err == nil {
		return nil
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return &sinks.RetryAfterError{After: rl.RetryAfter, Err: fmt.Errorf("slack webhook: %w", rl)}
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		e := &StatusError{Code: sc.Code, Body: body}
		if sc.Code == http.StatusTooManyRequests || sc.Code == http.StatusRequestTimeout || sc.Code >= 500 {
			return e
		}
		return sinks.Permanent(e)
	}
	// A Retry-After that is not a number of seconds. Its value is not quoted: it is the
	// server's text, and the backoff will do.
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		return errors.New("slack webhook answered 429 with a Retry-After that is not a number of seconds")
	}
	return s.scrubbed(err)
}

// scrubbed rebuilds a transport error without the URL: net/http's *url.Error quotes it,
// and the path of a webhook URL is its secret. The result does not wrap err, so no
// caller can reach the URL through errors.Unwrap either.
func (s *Sink) scrubbed(err error) error {
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Op + " <secret>: " + ue.Err.Error()
	}
	for _, f := range s.scrub {
		msg = strings.ReplaceAll(msg, f, "<secret>")
	}
	return errors.New("slack webhook: " + msg)
}

// secretForms lists the strings that would reveal the URL: the URL itself, quoted as
// %q would, its path and query (the secret part of a hooks.slack.com URL) and any
// password. Short parts such as "/" are left alone: they reveal nothing.
func secretForms(raw string, u *url.URL) []string {
	forms := []string{raw, strings.Trim(strconv.Quote(raw), `"`), u.String()}
	for _, p := range []string{u.Path, u.RawPath, u.EscapedPath(), u.RawQuery} {
		if len(p) >= 8 {
			forms = append(forms, p)
		}
	}
	if pw, ok := u.User.Password(); ok && pw != "" {
		forms = append(forms, pw)
	}
	return forms
}

// bodyKey carries, in a request's context, where to keep the body of an error answer:
// slack-go discards it, and Slack's token (channel_not_found) is what a person needs.
type bodyKey struct{}

// errToken is the shape of Slack's error bodies; anything else (an HTML page) is dropped.
var errToken = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)

type bodyCatcher struct{ next http.RoundTripper }

func (c bodyCatcher) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil || resp.StatusCode == http.StatusOK {
		return resp, err
	}
	if dst, ok := req.Context().Value(bodyKey{}).(*string); ok {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
		if t := strings.TrimSpace(string(b)); errToken.MatchString(t) {
			*dst = t
		}
		resp.Body = readCloser{io.MultiReader(bytes.NewReader(b), resp.Body), resp.Body}
	}
	return resp, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// wrapClient returns a copy of c (or a default client) that catches error bodies and
// does not follow redirects: a webhook that redirects is misconfigured, and following
// one would turn the POST into a GET that looks like success.
func wrapClient(c *http.Client) *http.Client {
	var cp http.Client
	if c != nil {
		cp = *c
	} else {
		cp.Timeout = 10 * time.Second
	}
	next := cp.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	cp.Transport = bodyCatcher{next}
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}
