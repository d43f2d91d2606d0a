package webhook

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"notifier/internal/confkit"
	"notifier/internal/event"
	"notifier/internal/httpx"
	"notifier/internal/msgtmpl"
	"notifier/internal/receiver"
	"notifier/internal/secret"
)

// Config is one generic webhook ([[webhook]]): each event is sent to its URL as a
// CloudEvent (HTTP binding, structured or binary mode) or as the receiver's template.
// The URL, the headers_env values and the signing secret are secrets, so the file only
// names where to read them.
type Config struct {
	receiver.Common
	URLEnv  string `toml:"url_env"`
	URLFile string `toml:"url_file"`
	Method  string `toml:"method"` // POST (the default) or PUT
	// Headers are sent as written; HeadersEnv maps a header to the environment variable
	// holding its value (a token).
	Headers    map[string]string `toml:"headers"`
	HeadersEnv map[string]string `toml:"headers_env"`
	Mode       string            `toml:"mode"` // structured (the default) or binary
	// ContentType is a template's body's; default text/plain; charset=utf-8.
	ContentType       string           `toml:"content_type"`
	SigningSecretEnv  string           `toml:"signing_secret_env"`
	SigningSecretFile string           `toml:"signing_secret_file"`
	Timeout           confkit.Duration `toml:"timeout"`
	TLSCAFile         string           `toml:"tls_ca_file"`
}

// The modes of the CloudEvents HTTP binding.
const (
	Structured = "structured"
	Binary     = "binary"
)

// DefaultContentType is content_type's default: a template's text as it is.
const DefaultContentType = "text/plain; charset=utf-8"

// Style is what a webhook makes of a template: its one part, "body", is the request's
// whole body. Nothing is escaped: a JSON body quotes its values with json.
var Style = &msgtmpl.Style{Parts: []string{"body"}, Mention: msgtmpl.PlainMention}

// Spec is the registry entry of a generic webhook ([[webhook]]).
var Spec = &receiver.Spec[Config]{
	Info: receiver.Info{
		Kind: "webhook", Key: "webhook", MinSeverity: "info",
		Example:  "name = \"hook\"\nurl_env = \"WEBHOOK_URL\"\n",
		Help:     "a generic webhook: each event as a CloudEvent (HTTP binding), or your template, optionally signed",
		Env:      []string{"webhook[].url_env, .headers_env, .signing_secret_env  each webhook's URL, header values and signing secret"},
		Template: Style,
	},
	Common:   func(c *Config) *receiver.Common { return &c.Common },
	Defaults: defaults,
	Validate: validate,
	Check:    check,
	Open:     open,
	Render:   render,
}

func defaults(c *Config, written func(string) bool) {
	if c.Method == "" {
		c.Method = http.MethodPost
	}
	if c.Mode == "" {
		c.Mode = Structured
	}
	if c.ContentType == "" {
		c.ContentType = DefaultContentType
	}
	if !written("timeout") {
		c.Timeout = confkit.Duration(httpx.DefaultTimeout)
	}
}

// reserved are the headers the notifier sets itself.
var reserved = []string{"content-type", "content-length", "host", "x-notifier-timestamp", "x-notifier-signature"}

func validate(c *Config, key string, p *confkit.Problems) {
	if (c.URLEnv == "") == (c.URLFile == "") {
		p.Add(key, "exactly one of url_env and url_file must be set")
	}
	p.EnvName(key+".url_env", c.URLEnv, false)
	p.OneOf(key+".method", c.Method, http.MethodPost, http.MethodPut)
	p.OneOf(key+".mode", c.Mode, Structured, Binary)
	p.SecretSource(key+".signing_secret", c.SigningSecretEnv, c.SigningSecretFile, false)
	p.AtLeast(key+".timeout", c.Timeout, time.Second)
	if strings.TrimSpace(c.ContentType) == "" || !validValue(c.ContentType) {
		p.Add(key+".content_type", "must be a media type such as \"application/json\"")
	}
	for _, h := range slices.Sorted(maps.Keys(c.Headers)) {
		checkHeader(p, key+".headers", h)
		if !validValue(c.Headers[h]) {
			p.Add(key+".headers", "the value of %q holds a character a header cannot", h)
		}
	}
	for h, env := range c.HeadersEnv {
		checkHeader(p, key+".headers_env", h)
		p.EnvName(key+".headers_env."+h, env, true)
		if _, ok := c.Headers[h]; ok {
			p.Add(key+".headers_env", "%q is also in headers: set it in one of them", h)
		}
	}
}

// headerName is a header's name: an RFC 9110 token.
var headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// validValue reports whether v can be a header's value: no control character but a tab.
func validValue(v string) bool {
	return !strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f })
}

// checkHeader checks a header's name, at key: a token that is none of the notifier's own
// and no CloudEvents attribute (ce-*).
func checkHeader(p *confkit.Problems, key, h string) {
	l := strings.ToLower(h)
	switch {
	case !headerName.MatchString(h):
		p.Add(key, "%q is not a header name", h)
	case slices.Contains(reserved, l) || strings.HasPrefix(l, "ce-"):
		p.Add(key, "%q is set by the notifier", h)
	}
}

// secrets are what an entry reads outside the file: the URL, the headers' values and
// the signing secret.
type secrets struct {
	url     secret.Secret
	headers http.Header
	hidden  []string // the headers' values, kept out of errors
	signing secret.Secret
	read    []string
}

// readSecrets reads what Open needs, each error naming the key it came through.
func readSecrets(c *Config, key string, getenv func(string) string) (secrets, []error) {
	var s secrets
	var errs []error
	u, err := httpx.ReadURL(key, c.URLEnv, c.URLFile, getenv)
	if err != nil {
		errs = append(errs, fmt.Errorf("%w (receiver %q)", err, c.Name))
	}
	s.url, s.headers = u, http.Header{}
	for _, h := range slices.Sorted(maps.Keys(c.HeadersEnv)) {
		v, err := secret.Read(c.HeadersEnv[h], "", getenv)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.headers_env.%s: %w (receiver %q)", key, h, err, c.Name))
			continue
		}
		s.headers.Set(h, v.Reveal())
		s.hidden = append(s.hidden, v.Reveal())
	}
	if c.SigningSecretEnv != "" || c.SigningSecretFile != "" {
		v, err := secret.Read(c.SigningSecretEnv, c.SigningSecretFile, getenv)
		if err != nil {
			k := key + ".signing_secret_env"
			if c.SigningSecretFile != "" {
				k = key + ".signing_secret_file"
			}
			errs = append(errs, fmt.Errorf("%s: %w (receiver %q)", k, err, c.Name))
		}
		s.signing = v
	}
	s.read = append([]string{s.url.Reveal(), s.signing.Reveal()}, s.hidden...)
	return s, errs
}

// check reads the secrets and tls_ca_file as Open will.
func check(c *Config, key string, getenv func(string) string) []error {
	_, errs := readSecrets(c, key, getenv)
	if _, _, err := httpx.ClientFor(c.Timeout.D(), c.TLSCAFile); err != nil {
		errs = append(errs, fmt.Errorf("%s.tls_ca_file: %w", key, err))
	}
	return errs
}

func open(c *Config, key string, d receiver.Deps) (receiver.Opened, error) {
	s, errs := readSecrets(c, key, d.Getenv)
	if len(errs) > 0 {
		return receiver.Opened{}, errs[0]
	}
	client, pem, err := httpx.ClientFor(c.Timeout.D(), c.TLSCAFile)
	if err != nil {
		return receiver.Opened{}, fmt.Errorf("%s.tls_ca_file: %w", key, err)
	}
	tmpl, read, err := d.Renderer(&c.Common, key, Style)
	if err != nil {
		return receiver.Opened{}, err
	}
	sink := New(Options{Config: *c, URL: s.url, Header: s.headers, Hidden: s.hidden, SigningSecret: s.signing,
		Client: client, Log: d.Log, Template: tmpl})
	return receiver.Opened{Sink: sink, Read: append(s.read, string(pem), string(read))}, nil
}

// render is what the webhook would be sent for evs: each request recorded instead of
// sent, its line and its body (JSON as it is, any other body as a string), the secrets
// not read: headers_env values are REDACTED, and a signature, when one is configured, is
// made with the key "REDACTED".
func render(ctx context.Context, c *Config, key string, d receiver.Deps, evs []event.Event) (receiver.Rendering, error) {
	tmpl, _, err := d.Renderer(&c.Common, key, Style)
	if err != nil {
		return receiver.Rendering{}, err
	}
	h := http.Header{}
	for k := range c.HeadersEnv {
		h.Set(k, "REDACTED")
	}
	var signing secret.Secret
	if c.SigningSecretEnv != "" || c.SigningSecretFile != "" {
		signing = "REDACTED"
	}
	s := New(Options{Config: *c, URL: "http://webhook.invalid/", Header: h, SigningSecret: signing, Log: d.Log,
		Template: tmpl, Now: nowOf(d.Now)})
	r := receiver.Rendering{Unit: "request"}
	for i := range evs {
		req, err := s.request(&evs[i])
		if err != nil {
			return receiver.Rendering{}, err
		}
		r.Payloads = append(r.Payloads, req.line(c.URLEnv, c.URLFile), req.shown())
		r.Units++
	}
	return r, ctx.Err()
}

func nowOf(t time.Time) func() time.Time {
	if t.IsZero() {
		return nil
	}
	return func() time.Time { return t }
}
