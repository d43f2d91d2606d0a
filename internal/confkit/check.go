package confkit

import (
	"fmt"
	"net/url"
	"notifier/internal/secret"
	"slices"
	"strings"
	"time"
)

// Problems collects validation errors, each prefixed with the key it is about, in the
// order they were found.
type Problems []error

// Add records a problem of key.
func (p *Problems) Add(key, format string, args ...any) {
	*p = append(*p, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
}

// CheckURL returns what is wrong with raw, or "" if it is an absolute URL with one of
// schemes and a host. The message never quotes raw, which may hold a password.
func CheckURL(raw string, schemes ...string) string {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return "must not be empty"
	case err != nil:
		return "is not a valid URL"
	case u.Scheme == "":
		return fmt.Sprintf("must be an absolute URL such as %s://host", schemes[0])
	case !slices.Contains(schemes, u.Scheme):
		return fmt.Sprintf("scheme must be one of %s, got %q", strings.Join(schemes, ", "), u.Scheme)
	case u.Host == "":
		return "must have a host"
	}
	return ""
}

// CheckEndpoint is CheckURL for an HTTP endpoint, which has no query or fragment
// because paths are appended to it.
func CheckEndpoint(raw string) string {
	if msg := CheckURL(raw, "http", "https"); msg != "" {
		return msg
	}
	u, _ := url.Parse(raw)
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "must not have a query or a fragment"
	}
	return ""
}

// Endpoint checks an HTTP endpoint (CheckEndpoint) at key.
func (p *Problems) Endpoint(key, raw string) {
	if msg := CheckEndpoint(raw); msg != "" {
		p.Add(key, "%s", msg)
	}
}

// OneOf checks that v is one of allowed.
func (p *Problems) OneOf(key, v string, allowed ...string) {
	if !slices.Contains(allowed, v) {
		p.Add(key, "must be one of %s, got %q", strings.Join(allowed, ", "), v)
	}
}

// EnvName checks that v, a *_env key, names an environment variable (and is set, when
// required).
func (p *Problems) EnvName(key, v string, required bool) {
	switch {
	case v == "" && required:
		p.Add(key, "must be set")
	case v != "" && !secret.ValidEnvName(v):
		// Never quoted: what is not a name is likely the secret itself, pasted here.
		p.Add(key, "%s (a name is letters, digits and _, not starting with a digit)", secret.ErrNotEnvName)
	}
}

// SecretSource checks where the secret key (dcs.ak, nats.token...) is read from: key_env
// names an environment variable, key_file a file, and at most one is set (exactly one
// when required), as ReadSecret wants.
func (p *Problems) SecretSource(key, env, file string, required bool) {
	p.EnvName(key+"_env", env, false)
	switch {
	case env != "" && file != "":
		p.Add(key+"_env", "set only one of %s_env and %s_file", key, key)
	case env == "" && file == "" && required:
		p.Add(key+"_env", "must be set (or %s_file)", key)
	}
}

// NonEmpty checks that no element of list is blank.
func (p *Problems) NonEmpty(key string, list []string) {
	for i, s := range list {
		if strings.TrimSpace(s) == "" {
			p.Add(fmt.Sprintf("%s[%d]", key, i), "must not be empty")
		}
	}
}

// MaxPending checks a receiver's bound on its backlog.
func (p *Problems) MaxPending(key string, n int) {
	if n < 1 {
		p.Add(key, "must be at least 1, got %d", n)
	}
}

// Positive checks that d is above zero.
func (p *Problems) Positive(key string, d Duration) {
	if d <= 0 {
		p.Add(key, "must be positive, got %s", d)
	}
}

// AtLeast checks that d is lowest or more.
func (p *Problems) AtLeast(key string, d Duration, lowest time.Duration) {
	if d.D() < lowest {
		p.Add(key, "must be at least %s, got %s", Duration(lowest), d)
	}
}
