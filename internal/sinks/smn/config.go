package smn

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"notifier/internal/confkit"
	"notifier/internal/dcs"
	"notifier/internal/event"
	"notifier/internal/receiver"
	"notifier/internal/secret"
)

// Config is one Huawei Cloud SMN topic ([[smn]]): each event it passes is published to
// the topic, whose subscribers (email, SMS, HTTP, chat bots) get it in their protocol's
// form. The credential is a project's: its own *_env / *_file keys, or [dcs]'s.
type Config struct {
	receiver.Common
	// TopicURN is urn:smn:{region}:{project_id}:{topic}; the project id of the request's
	// path is read from it.
	TopicURN string `toml:"topic_urn"`
	// Region is the topic's region: "" takes the URN's; set, it must be the URN's.
	Region string `toml:"region"`
	// Endpoint overrides the region's SMN endpoint (a region the SDK does not know, a proxy).
	Endpoint          string           `toml:"endpoint"`
	Timeout           confkit.Duration `toml:"timeout"` // per request; Defaults: 10s
	AKEnv             string           `toml:"ak_env"`
	AKFile            string           `toml:"ak_file"`
	SKEnv             string           `toml:"sk_env"`
	SKFile            string           `toml:"sk_file"`
	SecurityTokenEnv  string           `toml:"security_token_env"`
	SecurityTokenFile string           `toml:"security_token_file"`
}

// DefaultTimeout is smn[].timeout's default.
const DefaultTimeout = 10 * time.Second

// urnRE is an SMN topic URN: urn:smn:{region}:{project_id}:{topic name}. A topic name is
// 1 to 255 letters, digits, - and _, starting with a letter or digit.
var urnRE = regexp.MustCompile(`^urn:smn:([a-z0-9-]+):([0-9a-f]{32}):([A-Za-z0-9][A-Za-z0-9_-]{0,254})$`)

// Spec is the registry entry of SMN ([[smn]]).
var Spec = &receiver.Spec[Config]{
	Info: receiver.Info{
		Kind: "smn", Key: "smn", MinSeverity: "warning",
		Example: "name = \"smn-oncall\"\n" +
			"topic_urn = \"urn:smn:cn-north-4:0123456789abcdef0123456789abcdef:dcs-alerts\"\n" +
			"ak_env = \"SMN_AK\"\nsk_env = \"SMN_SK\"\n",
		Help: "Huawei Cloud SMN: a message per event published to a topic (email, SMS, HTTP, chat subscribers)",
		Env: []string{"smn[].ak_env, .sk_env, .security_token_env  each SMN receiver's credential, " +
			"when not [dcs]'s"},
		Template: Style,
	},
	Common:   func(c *Config) *receiver.Common { return &c.Common },
	Defaults: defaults,
	Validate: validate,
	Check:    check,
	Open:     open,
	Render:   render,
	Probe:    probe,
}

func defaults(c *Config, written func(string) bool) {
	if c.Timeout == 0 && !written("timeout") { // a written 0 is refused, not replaced
		c.Timeout = confkit.Duration(DefaultTimeout)
	}
	if m := urnRE.FindStringSubmatch(c.TopicURN); m != nil && c.Region == "" {
		c.Region = m[1]
	}
}

// topic splits a URN validate accepted: region, project id, name.
func topic(urn string) (region, projectID, name string) {
	m := urnRE.FindStringSubmatch(urn)
	if m == nil {
		return "", "", ""
	}
	return m[1], m[2], m[3]
}

func validate(c *Config, key string, p *confkit.Problems) {
	switch r, _, _ := topic(c.TopicURN); {
	case c.TopicURN == "":
		p.Add(key+".topic_urn", "must be set (urn:smn:{region}:{project_id}:{topic}, the console's topic URN)")
	case r == "":
		p.Add(key+".topic_urn", "must be urn:smn:{region}:{project_id}:{topic} (a 32-hex project id, a topic name of letters, digits, - and _), got %q", c.TopicURN)
	case c.Region != r:
		p.Add(key+".region", "%q is not the region of topic_urn (%s)", c.Region, r)
	case c.Endpoint == "":
		if _, err := endpoint(c.Region, ""); err != nil {
			p.Add(key+".region", "%v", err)
		}
	}
	if c.Endpoint != "" {
		p.Endpoint(key+".endpoint", c.Endpoint)
	}
	p.Positive(key+".timeout", c.Timeout)
	own := c.ownCredential()
	p.SecretSource(key+".ak", c.AKEnv, c.AKFile, false)
	p.SecretSource(key+".sk", c.SKEnv, c.SKFile, false)
	p.SecretSource(key+".security_token", c.SecurityTokenEnv, c.SecurityTokenFile, false)
	ak, sk := c.AKEnv != "" || c.AKFile != "", c.SKEnv != "" || c.SKFile != ""
	switch {
	case ak && !sk:
		p.Add(key+".sk_env", "must be set (or %s.sk_file) when %s.ak_env or ak_file is: an access key and its secret key go together", key, key)
	case sk && !ak:
		p.Add(key+".ak_env", "must be set (or %s.ak_file) when %s.sk_env or sk_file is: an access key and its secret key go together", key, key)
	case !own && (c.SecurityTokenEnv != "" || c.SecurityTokenFile != ""):
		p.Add(key+".security_token_env", "needs %s.ak_env and sk_env (or the *_file keys): a security token belongs to its temporary AK/SK", key)
	}
}

// ownCredential reports whether the entry names its own credential rather than [dcs]'s.
func (c *Config) ownCredential() bool {
	return c.AKEnv != "" || c.AKFile != "" || c.SKEnv != "" || c.SKFile != ""
}

// credentials reads the entry's own credential, or [dcs]'s through d; credKey is where
// the one used is configured (smn[0], or dcs), which names its budget.
func (c *Config) credentials(key string, getenv func(string) string, dcsCreds func() (dcs.Credentials, error)) (cr dcs.Credentials, credKey string, err error) {
	if !c.ownCredential() {
		if dcsCreds == nil {
			return cr, "", fmt.Errorf("%s.ak_env: no credential: set it (and sk_env), or the [dcs] one", key)
		}
		cr, err = dcsCreds()
		return cr, "dcs", err
	}
	for _, s := range []struct {
		name, env, file string
		to              *secret.Secret
	}{
		{"ak", c.AKEnv, c.AKFile, &cr.AK}, {"sk", c.SKEnv, c.SKFile, &cr.SK},
		{"security_token", c.SecurityTokenEnv, c.SecurityTokenFile, &cr.SecurityToken},
	} {
		if s.env == "" && s.file == "" {
			continue
		}
		v, err := secret.Read(s.env, s.file, getenv)
		if err != nil {
			k := key + "." + s.name + "_env"
			if s.file != "" {
				k = key + "." + s.name + "_file"
			}
			return cr, "", fmt.Errorf("%s: %w (receiver %q)", k, err, c.Name)
		}
		*s.to = v
	}
	return cr, key, nil
}

// check reads the entry's own credential as Open will ([dcs]'s is config's to check).
func check(c *Config, key string, getenv func(string) string) []error {
	if !c.ownCredential() {
		return nil
	}
	if _, _, err := c.credentials(key, getenv, nil); err != nil {
		return []error{err}
	}
	return nil
}

// client builds the entry's SMN client with its credential, on the budget of its access
// key when d has one.
func (c *Config) client(key string, d receiver.Deps) (*Client, dcs.Credentials, error) {
	cr, credKey, err := c.credentials(key, d.Getenv, d.DCSCredentials)
	if err != nil {
		return nil, cr, err
	}
	o := ClientOptions{Region: c.Region, Endpoint: c.Endpoint, TopicURN: c.TopicURN, Credentials: cr, Timeout: c.Timeout.D()}
	if d.Budget != nil {
		o.Budget = d.Budget(cr, credKey)
	}
	cl, err := NewClient(o)
	if err != nil {
		return nil, cr, fmt.Errorf("%s: %w", key, err)
	}
	return cl, cr, nil
}

func open(c *Config, key string, d receiver.Deps) (receiver.Opened, error) {
	cl, cr, err := c.client(key, d)
	if err != nil {
		return receiver.Opened{}, err
	}
	tmpl, read, err := d.Renderer(&c.Common, key, Style)
	if err != nil {
		return receiver.Opened{}, err
	}
	s, err := New(Options{Key: key, Config: *c, Client: cl, Log: d.Log, Template: tmpl, Statuses: d.Statuses})
	if err != nil {
		return receiver.Opened{}, err
	}
	return receiver.Opened{Sink: s, Read: []string{cr.AK.Reveal(), cr.SK.Reveal(), cr.SecurityToken.Reveal(), string(read)}}, nil
}

// render is what the receiver would publish for evs: each request recorded instead of
// sent, signed with a stand-in credential (no secret is read), its path and body.
func render(ctx context.Context, c *Config, key string, d receiver.Deps, evs []event.Event) (receiver.Rendering, error) {
	rec := &receiver.Recorder{}
	tmpl, _, err := d.Renderer(&c.Common, key, Style)
	if err != nil {
		return receiver.Rendering{}, err
	}
	cl, err := NewClient(ClientOptions{Region: c.Region, Endpoint: c.Endpoint, TopicURN: c.TopicURN,
		Credentials: dcs.Credentials{AK: "REDACTED", SK: "REDACTED"}, Timeout: c.Timeout.D(), Transport: rec})
	if err != nil {
		return receiver.Rendering{}, fmt.Errorf("%s: %w", key, err)
	}
	s, err := New(Options{Key: key, Config: *c, Client: cl, Log: d.Log, Template: tmpl, Statuses: d.Statuses, Now: renderNow(d)})
	if err != nil {
		return receiver.Rendering{}, err
	}
	return receiver.Record(ctx, s, rec, d, evs)
}

// probe reads the topic (ListTopicDetails): it exists, and the credential may read it.
// Nothing is published.
func probe(ctx context.Context, c *Config, key string, d receiver.Deps) error {
	cl, _, err := c.client(key, d)
	if err != nil {
		return err
	}
	if err := cl.Details(ctx); err != nil {
		return fmt.Errorf("%s.topic_urn %s: %w", key, c.TopicURN, err)
	}
	return nil
}

// renderNow is the time a render renders at (Deps.Now), or nil: the clock.
func renderNow(d receiver.Deps) func() time.Time {
	if d.Now.IsZero() {
		return nil
	}
	return func() time.Time { return d.Now }
}

// trimURN is the topic's name, for logs.
func trimURN(urn string) string { return urn[strings.LastIndex(urn, ":")+1:] }
