package alertmanager

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"notifier/internal/confkit"
	"notifier/internal/event"
	"notifier/internal/httpx"
	"notifier/internal/receiver"
	"notifier/internal/secret"
)

// Config is one Prometheus Alertmanager (API v2) or cluster of them ([[alertmanager]]):
// its active alerts are re-sent every ResendInterval until the task or the gap they are
// about ends. The credentials are secrets, named by where to read them.
type Config struct {
	receiver.Common
	URL                   string           `toml:"url" redact:"url"` // comma-separated: each gets every alert
	ResendInterval        confkit.Duration `toml:"resend_interval"`
	FailedTTL             confkit.Duration `toml:"failed_ttl"` // a failure never retried stays active this long
	BasicAuthUserEnv      string           `toml:"basic_auth_user_env"`
	BasicAuthUserFile     string           `toml:"basic_auth_user_file"`
	BasicAuthPasswordEnv  string           `toml:"basic_auth_password_env"`
	BasicAuthPasswordFile string           `toml:"basic_auth_password_file"`
	BearerTokenEnv        string           `toml:"bearer_token_env"`
	BearerTokenFile       string           `toml:"bearer_token_file"`
	TLSCAFile             string           `toml:"tls_ca_file"`
}

// URLs returns the Alertmanager URLs, trimmed, without a trailing slash.
func (c *Config) URLs() []string {
	var out []string
	for _, u := range strings.Split(c.URL, ",") {
		if u = strings.TrimRight(strings.TrimSpace(u), "/"); u != "" {
			out = append(out, u)
		}
	}
	return out
}

// Spec is the registry entry of Alertmanager ([[alertmanager]]).
var Spec = &receiver.Spec[Config]{
	Info: receiver.Info{
		Kind: "alertmanager", Key: "alertmanager", MinSeverity: "warning", Incidents: true,
		Example:  "name = \"am\"\nurl = \"http://alertmanager:9093\"\n",
		Help:     "Prometheus Alertmanager (API v2): alerts re-sent until what they are about ends",
		Env:      []string{"alertmanager[].bearer_token_env, .basic_auth_*_env  each Alertmanager's credentials, when set"},
		Template: Style,
	},
	Common:   func(c *Config) *receiver.Common { return &c.Common },
	Defaults: defaults,
	Validate: validate,
	Check:    check,
	Open:     open,
	Render:   render,
}

// The defaults of resend_interval and failed_ttl, applied when the entry does not write
// them.
const (
	defaultResendInterval = confkit.Duration(time.Minute)
	defaultFailedTTL      = confkit.Duration(24 * time.Hour)
)

func defaults(c *Config, written func(string) bool) {
	if !written("resend_interval") {
		c.ResendInterval = defaultResendInterval
	}
	if !written("failed_ttl") {
		c.FailedTTL = defaultFailedTTL
	}
}

func validate(c *Config, key string, p *confkit.Problems) {
	urls := c.URLs()
	if len(urls) == 0 {
		p.Add(key+".url", "must be set: one or more Alertmanager URLs, comma-separated, such as \"http://alertmanager:9093\"")
	}
	for j, u := range urls {
		if msg := confkit.CheckEndpoint(u); msg != "" {
			p.Add(key+".url", "URL %d of %d %s", j+1, len(urls), msg)
		}
	}
	p.AtLeast(key+".resend_interval", c.ResendInterval, time.Second)
	p.Positive(key+".failed_ttl", c.FailedTTL)
	p.SecretSource(key+".basic_auth_user", c.BasicAuthUserEnv, c.BasicAuthUserFile, false)
	p.SecretSource(key+".basic_auth_password", c.BasicAuthPasswordEnv, c.BasicAuthPasswordFile, false)
	p.SecretSource(key+".bearer_token", c.BearerTokenEnv, c.BearerTokenFile, false)
	user := c.BasicAuthUserEnv != "" || c.BasicAuthUserFile != ""
	pass := c.BasicAuthPasswordEnv != "" || c.BasicAuthPasswordFile != ""
	bearer := c.BearerTokenEnv != "" || c.BearerTokenFile != ""
	switch {
	case user != pass:
		p.Add(key+".basic_auth_user_env", "basic auth needs both a user (basic_auth_user_env or _file) and a password (basic_auth_password_env or _file)")
	case user && bearer:
		p.Add(key+".bearer_token_env", "set either basic auth or a bearer token, not both")
	}
}

// secretRef is one credential of an entry: its key (after "alertmanager[i]."), where it
// is read from, and where Auth keeps it.
type secretRef struct {
	key, env, file string
	to             *secret.Secret
}

// secrets lists the entry's credentials, kept in a.
func (c *Config) secrets(a *Auth) []secretRef {
	return []secretRef{
		{"basic_auth_user", c.BasicAuthUserEnv, c.BasicAuthUserFile, &a.User},
		{"basic_auth_password", c.BasicAuthPasswordEnv, c.BasicAuthPasswordFile, &a.Password},
		{"bearer_token", c.BearerTokenEnv, c.BearerTokenFile, &a.BearerToken},
	}
}

// check reads the credentials that are set and tls_ca_file, as Open will.
func check(c *Config, key string, getenv func(string) string) []error {
	var errs []error
	for _, s := range c.secrets(&Auth{}) {
		if s.env == "" && s.file == "" {
			continue
		}
		if _, err := secret.Read(s.env, s.file, getenv); err != nil {
			k := key + "." + s.key + "_env"
			if s.file != "" {
				k = key + "." + s.key + "_file"
			}
			errs = append(errs, fmt.Errorf("%s: %w (receiver %q)", k, err, c.Name))
		}
	}
	if _, _, err := httpx.ClientFor(0, c.TLSCAFile); err != nil {
		errs = append(errs, fmt.Errorf("%s.tls_ca_file: %w", key, err))
	}
	return errs
}

func open(c *Config, key string, d receiver.Deps) (receiver.Opened, error) {
	var auth Auth
	for _, s := range c.secrets(&auth) {
		if s.env == "" && s.file == "" {
			continue
		}
		v, err := secret.Read(s.env, s.file, d.Getenv)
		if err != nil {
			return receiver.Opened{}, fmt.Errorf("%s.%s: %w", key, s.key, err)
		}
		*s.to = v
	}
	client, pem, err := httpx.ClientFor(0, c.TLSCAFile)
	if err != nil {
		return receiver.Opened{}, fmt.Errorf("%s.tls_ca_file: %w", key, err)
	}
	tmpl, read, err := d.Renderer(&c.Common, key, Style)
	if err != nil {
		return receiver.Opened{}, err
	}
	s, err := New(Options{Key: key, Config: *c, Auth: auth, Client: client, Log: d.Log, Statuses: d.Statuses,
		Links: d.Links, TaskTTL: d.MaxFollow, Muted: d.Muted, Errors: errorsVec(d), Template: tmpl})
	if err != nil {
		return receiver.Opened{}, err
	}
	return receiver.Opened{Sink: s, Read: []string{auth.User.Reveal(), auth.Password.Reveal(),
		auth.BearerToken.Reveal(), string(pem), string(read)}}, nil
}

// render is what the Alertmanagers would be posted for evs, given what the receiver
// remembers: each request recorded instead of sent, without credentials. As in run, an
// event a window holds from the receiver opens nothing.
func render(ctx context.Context, c *Config, key string, d receiver.Deps, evs []event.Event) (receiver.Rendering, error) {
	rec := &receiver.Recorder{}
	tmpl, _, err := d.Renderer(&c.Common, key, Style)
	if err != nil {
		return receiver.Rendering{}, err
	}
	var now func() time.Time // the render's time, as the events' durations are measured to
	if !d.Now.IsZero() {
		now = func() time.Time { return d.Now }
	}
	s, err := New(Options{Key: key, Config: *c, Client: rec.Client(), Log: d.Log, Statuses: d.Statuses,
		Links: d.Links, TaskTTL: d.MaxFollow, Muted: d.Muted, Template: tmpl, Now: now})
	if err != nil {
		return receiver.Rendering{}, err
	}
	return receiver.Record(ctx, s, rec, d, evs)
}

// errorsVec is notifier_alertmanager_errors_total, when the notifier counts.
func errorsVec(d receiver.Deps) *prometheus.CounterVec {
	if d.Metrics == nil {
		return nil
	}
	return d.Metrics.AlertmanagerErrors
}
