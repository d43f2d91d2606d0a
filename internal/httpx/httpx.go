// Package httpx is the one HTTP client path of the receivers that post to a URL (Slack
// webhooks, PagerDuty, Alertmanager): PostJSON sends, Check classifies the
// answer, and both keep the URL, which is a secret for a webhook, out of every error.
//
// Check's errors are the ones sinks.Dispatcher acts on: nil for a 2xx answer; a
// *StatusError wrapped with retry.Permanent when retrying cannot help (a 4xx other than
// 408 and 429, a redirect); inside a *retry.RetryAfterError when the server said how long
// to wait; and as it is, retryable, otherwise (408, 429, 5xx).
package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxBody bounds how much of an answer is read: receivers answer with a token or a small
// JSON object, and a misdirected URL must not make us read a large page.
const maxBody = 64 << 10

// DefaultTimeout is the timeout of the client NewClient makes when given none.
const DefaultTimeout = 10 * time.Second

// Response is an answer read whole (up to 64 KiB of body) and closed.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte

	secrets []string // forms of the URL that Check must keep out of its excerpt
}

// NewClient returns a copy of c, or a client with DefaultTimeout when c is nil, that does
// not follow redirects: a receiver URL that redirects is misconfigured, and following it
// would turn the POST into a GET that looks like success. Check reports the redirect.
func NewClient(c *http.Client) *http.Client {
	var cp http.Client
	if c != nil {
		cp = *c
	} else {
		cp.Timeout = DefaultTimeout
	}
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

// PostJSON posts v, encoded as JSON, to rawURL with client and reads the answer. An error
// means no answer came (or v did not encode); it is worth retrying, and neither its text
// nor anything it wraps contains rawURL or a part of it. When ctx is done, the error is
// ctx.Err(). Pass the client through NewClient.
func PostJSON(ctx context.Context, client *http.Client, rawURL string, v any) (*Response, error) {
	return PostJSONWith(ctx, client, rawURL, v, nil)
}

// PostJSONWith is PostJSON with more request headers (an Authorization). Their values are
// kept out of errors as the URL is.
func PostJSONWith(ctx context.Context, client *http.Client, rawURL string, v any, header http.Header) (*Response, error) {
	return postJSON(ctx, client, rawURL, v, header, false)
}

// PostJSONPublic is PostJSONWith to a URL that is no secret (an Alertmanager's): its
// errors show the URL without its user info, and hide only the password in it and the
// header values.
func PostJSONPublic(ctx context.Context, client *http.Client, rawURL string, v any, header http.Header) (*Response, error) {
	return postJSON(ctx, client, rawURL, v, header, true)
}

// Shown is rawURL as an error or a log may show it when it is no secret: without its user
// info. A URL that does not parse shows as "<unparsable URL>".
func Shown(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "<unparsable URL>"
	}
	u.User = nil
	return u.String()
}

func postJSON(ctx context.Context, client *http.Client, rawURL string, v any, header http.Header, public bool) (*Response, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode the request: %w", err)
	}
	h := http.Header{"Content-Type": {"application/json"}}
	var hidden []string
	for k, vs := range header {
		for _, hv := range vs {
			h.Add(k, hv)
			if len(hv) >= 8 {
				hidden = append(hidden, hv)
			}
		}
	}
	return send(ctx, client, http.MethodPost, rawURL, body, h, hidden, public)
}

// Send sends body to rawURL, a secret as PostJSON's is, with method and header (its
// Content-Type among them), and reads the answer; hidden are values (a header's token)
// kept out of errors and of Check's excerpt as the URL is. Its errors are PostJSON's.
func Send(ctx context.Context, client *http.Client, method, rawURL string, body []byte, header http.Header, hidden []string) (*Response, error) {
	return send(ctx, client, method, rawURL, body, header, hidden, false)
}

func send(ctx context.Context, client *http.Client, method, rawURL string, body []byte, header http.Header, hidden []string, public bool) (*Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("the URL does not parse") // url.Parse's error quotes it
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, bytes.NewReader(body))
	if err != nil {
		return nil, errors.New("cannot build a request for the URL")
	}
	secrets, shown := secretForms(rawURL, u), "<secret>"
	if public {
		secrets, shown = passwordOf(u), Shown(rawURL)
	}
	for _, hv := range hidden {
		if hv != "" {
			secrets = append(secrets, hv)
		}
	}
	for k, vs := range header {
		req.Header[k] = append(req.Header[k], vs...)
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, scrub(err, shown, secrets)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, scrub(fmt.Errorf("read the answer: %w", err), shown, secrets)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody)) // lets the connection be reused
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: b, secrets: secrets}, nil
}

// scrub rebuilds a transport error without the URL: net/http's *url.Error quotes it. The
// result does not wrap err, so no caller can reach the URL through errors.Unwrap either.
func scrub(err error, shown string, secrets []string) error {
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = strings.ToLower(ue.Op) + " " + shown + ": " + ue.Err.Error()
	}
	return errors.New(redact(msg, secrets))
}

func redact(s string, secrets []string) string {
	for _, f := range secrets {
		s = strings.ReplaceAll(s, f, "<secret>")
	}
	return s
}

// secretForms lists the strings that would reveal a URL: the URL itself, quoted as %q
// would, its path and query (the secret part of a hooks.slack.com URL) and any password.
// Short parts such as "/" are left alone: they reveal nothing.
func secretForms(raw string, u *url.URL) []string {
	forms := []string{raw, strings.Trim(strconv.Quote(raw), `"`), u.String()}
	for _, p := range []string{u.Path, u.RawPath, u.EscapedPath(), u.RawQuery} {
		if len(p) >= 8 {
			forms = append(forms, p)
		}
	}
	return append(forms, passwordOf(u)...)
}

// passwordOf is the password in u's user info, if any.
func passwordOf(u *url.URL) []string {
	if pw, ok := u.User.Password(); ok && pw != "" {
		return []string{pw}
	}
	return nil
}
