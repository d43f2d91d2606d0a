package natssink

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"notifier/internal/confkit"
	"notifier/internal/receiver"
	"notifier/internal/secret"
)

// Config is [nats]: the NATS receiver. An empty URL turns it off.
type Config struct {
	URL            string           `toml:"url" redact:"url"` // comma-separated list
	SubjectPrefix  string           `toml:"subject_prefix"`
	JetStream      bool             `toml:"jetstream"`
	Stream         string           `toml:"stream"`
	PublishTimeout confkit.Duration `toml:"publish_timeout"`
	CredsFile      string           `toml:"creds_file"`
	NKeySeedFile   string           `toml:"nkey_seed_file"`
	TokenEnv       string           `toml:"token_env"`
	TokenFile      string           `toml:"token_file"`
	UserEnv        string           `toml:"user_env"`
	UserFile       string           `toml:"user_file"`
	PasswordEnv    string           `toml:"password_env"`
	PasswordFile   string           `toml:"password_file"`
	TLSCAFile      string           `toml:"tls_ca_file"`
	TLSCertFile    string           `toml:"tls_cert_file"`
	TLSKeyFile     string           `toml:"tls_key_file"`
	MaxPending     int              `toml:"max_pending"` // undelivered events kept for NATS; past it the oldest are dropped
	// The limits of a stream the notifier creates; an existing stream keeps its own.
	StreamMaxAge   confkit.Duration `toml:"stream_max_age"`   // 0: kept forever
	StreamMaxBytes int64            `toml:"stream_max_bytes"` // 0: no size limit
	StreamReplicas int              `toml:"stream_replicas"`  // 0: state.replicas in nats-kv mode, else 1
}

// DefaultStreamMaxAge is nats.stream_max_age when the file does not write it: a month
// of events for late consumers to replay, without the stream growing forever.
const DefaultStreamMaxAge = 30 * 24 * time.Hour

// duplicateWindow is how long the stream remembers an event id to drop a replay of it.
// JetStream refuses a stream whose max age is shorter.
const duplicateWindow = 10 * time.Minute

// DefaultConfig is [nats] when the file does not write it: on, at the local server.
func DefaultConfig() Config {
	return Config{
		URL:            "nats://127.0.0.1:4222",
		SubjectPrefix:  "dcs.tasks",
		Stream:         "DCS_TASKS",
		PublishTimeout: confkit.Duration(10 * time.Second),
		MaxPending:     receiver.DefaultMaxPending,
		StreamMaxAge:   confkit.Duration(DefaultStreamMaxAge),
	}
}

// tokenRE is what a subject token or a stream name is.
var tokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// validate checks [nats], key, whether or not it is on.
func validate(n *Config, key string, p *confkit.Problems) {
	for i, u := range strings.Split(n.URL, ",") {
		if n.URL == "" {
			break // the NATS receiver is off
		}
		if msg := confkit.CheckURL(strings.TrimSpace(u), "nats", "tls", "ws", "wss"); msg != "" {
			p.Add(key+".url", "entry %d: %s", i, msg)
		}
	}
	for i, t := range strings.Split(n.SubjectPrefix, ".") {
		if !tokenRE.MatchString(t) {
			p.Add(key+".subject_prefix", "token %d %q must match [A-Za-z0-9_-]+ (tokens are separated by dots)", i, t)
		}
	}
	if n.Stream != "" && !tokenRE.MatchString(n.Stream) {
		p.Add(key+".stream", "must match [A-Za-z0-9_-]+, got %q", n.Stream)
	} else if n.Stream == "" && n.JetStream {
		p.Add(key+".stream", "must be set when nats.jetstream is true")
	}
	p.Positive(key+".publish_timeout", n.PublishTimeout)
	validateStream(n, key, p)
	p.MaxPending(key+".max_pending", n.MaxPending)
	validateAuth(n, key, p)
	if (n.TLSCertFile == "") != (n.TLSKeyFile == "") {
		p.Add(key, "tls_cert_file and tls_key_file must be set together")
	}
}

// validateStream checks the limits of a stream the notifier creates.
func validateStream(n *Config, key string, p *confkit.Problems) {
	if n.StreamMaxAge != 0 {
		p.AtLeast(key+".stream_max_age", n.StreamMaxAge, duplicateWindow)
	}
	if n.StreamMaxBytes < 0 {
		p.Add(key+".stream_max_bytes", "must be 0 (no limit) or positive, got %d", n.StreamMaxBytes)
	}
	if n.StreamReplicas < 0 || n.StreamReplicas > maxReplicas {
		p.Add(key+".stream_replicas", "must be between 1 and %d (or 0: state.replicas in nats-kv mode, else 1), got %d",
			maxReplicas, n.StreamReplicas)
	}
}

// maxReplicas is the most replicas JetStream gives a stream.
const maxReplicas = 5

// validateAuth checks that at most one way to authenticate is set, each read from one
// place.
func validateAuth(n *Config, key string, p *confkit.Problems) {
	var auth []string
	for _, a := range [][2]string{{"creds_file", n.CredsFile}, {"nkey_seed_file", n.NKeySeedFile},
		{"token_env", n.TokenEnv}, {"user_env", n.UserEnv}} {
		if a[1] != "" {
			auth = append(auth, a[0])
		}
	}
	// A token or a user read from a file is the same method as from a variable;
	// SecretSource refuses both at once.
	if n.TokenEnv == "" && n.TokenFile != "" {
		auth = append(auth, "token_file")
	}
	if n.UserEnv == "" && n.UserFile != "" {
		auth = append(auth, "user_file")
	}
	if len(auth) > 1 {
		p.Add(key, "at most one of creds_file, nkey_seed_file, token_env (or token_file) and user_env (or user_file) may be set, got %s",
			strings.Join(auth, ", "))
	}
	p.SecretSource(key+".token", n.TokenEnv, n.TokenFile, false)
	p.SecretSource(key+".user", n.UserEnv, n.UserFile, false)
	p.SecretSource(key+".password", n.PasswordEnv, n.PasswordFile, false)
	for _, pw := range [][2]string{{"password_env", n.PasswordEnv}, {"password_file", n.PasswordFile}} {
		if pw[1] != "" && n.UserEnv == "" && n.UserFile == "" {
			p.Add(key+"."+pw[0], "requires nats.user_env or nats.user_file")
		}
	}
}

// Auth is the token, or the user and password, that NATS authenticates with; all empty
// when [nats] sets neither.
type Auth struct {
	Token, User, Password secret.Secret
}

// ReadAuth reads the token or the user and password with secret.Read, each from
// its *_env variable or its *_file. An error names the keys (every one that failed),
// never a value.
func (n *Config) ReadAuth(getenv func(string) string) (Auth, error) {
	var a Auth
	var errs []error
	for _, s := range []struct {
		key, env, file string
		dst            *secret.Secret
	}{
		{"nats.token", n.TokenEnv, n.TokenFile, &a.Token},
		{"nats.user", n.UserEnv, n.UserFile, &a.User},
		{"nats.password", n.PasswordEnv, n.PasswordFile, &a.Password},
	} {
		if s.env == "" && s.file == "" {
			continue
		}
		v, err := secret.Read(s.env, s.file, getenv)
		if err != nil {
			k := s.key + "_env"
			if s.file != "" {
				k = s.key + "_file"
			}
			errs = append(errs, fmt.Errorf("%s: %w", k, err))
		}
		*s.dst = v
	}
	if len(errs) > 0 {
		return Auth{}, errors.Join(errs...)
	}
	return a, nil
}

// check reads the credentials, seed and TLS files and the secrets [nats] names, as Open
// would, when NATS is on.
func check(n *Config, key string, getenv func(string) string) []error {
	if n.URL == "" {
		return nil
	}
	errs := checkFiles(n, key)
	if _, err := n.ReadAuth(getenv); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// checkFiles checks that the NATS credentials, seed and TLS files can be read, and that
// the TLS files hold what they should.
func checkFiles(n *Config, key string) []error {
	var errs []error
	for _, f := range []struct{ key, path string }{
		{"creds_file", n.CredsFile}, {"nkey_seed_file", n.NKeySeedFile},
		{"tls_ca_file", n.TLSCAFile}, {"tls_cert_file", n.TLSCertFile}, {"tls_key_file", n.TLSKeyFile},
	} {
		if f.path == "" {
			continue
		}
		if err := readable(f.path); err != nil {
			errs = append(errs, fmt.Errorf("%s.%s: %w", key, f.key, err))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	if n.TLSCAFile != "" {
		pem, err := os.ReadFile(n.TLSCAFile)
		if err == nil && !x509.NewCertPool().AppendCertsFromPEM(pem) {
			errs = append(errs, fmt.Errorf("%s.tls_ca_file: %s holds no PEM certificate", key, n.TLSCAFile))
		}
	}
	if n.TLSCertFile != "" && n.TLSKeyFile != "" {
		// The error of tls.LoadX509KeyPair describes the PEM blocks, never the key itself.
		if _, err := tls.LoadX509KeyPair(n.TLSCertFile, n.TLSKeyFile); err != nil {
			errs = append(errs, fmt.Errorf("%s.tls_cert_file, %s.tls_key_file: cannot be used together: %w", key, key, err))
		}
	}
	return errs
}

// readable reports why the file at path cannot be read, if it cannot.
func readable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err // *fs.PathError names the file
	}
	defer f.Close()
	if _, err := f.Read(make([]byte, 1)); err != nil && err != io.EOF {
		return err // "read PATH: is a directory"
	}
	return nil
}
