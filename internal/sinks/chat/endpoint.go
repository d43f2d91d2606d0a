package chat

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"notifier/internal/confkit"
	"notifier/internal/httpx"
	"notifier/internal/secret"
)

// Endpoint is where a robot is and how it is reached, as every kind configures it: the
// webhook URL, which holds the robot's token and so is a secret (url_env or url_file),
// the optional signing secret (secret_env or secret_file; "" keys for a kind without
// one), the timeout of a post and the CA certificates of a private endpoint.
type Endpoint struct {
	Key, Name             string // where it is configured (feishu[0]) and the receiver's name
	URLEnv, URLFile       string
	SecretEnv, SecretFile string
	Timeout               time.Duration
	TLSCAFile             string
	Signs                 bool // the kind takes secret_env / secret_file
}

// DefaultTimeout is timeout's default: httpx's.
const DefaultTimeout = httpx.DefaultTimeout

// Validate checks the keys, each problem naming its key.
func (e Endpoint) Validate(p *confkit.Problems) {
	if (e.URLEnv == "") == (e.URLFile == "") {
		p.Add(e.Key, "exactly one of url_env and url_file must be set")
	}
	p.EnvName(e.Key+".url_env", e.URLEnv, false)
	if e.Signs {
		p.SecretSource(e.Key+".secret", e.SecretEnv, e.SecretFile, false)
	}
	p.Positive(e.Key+".timeout", confkit.Duration(e.Timeout))
}

// Opened is what Open read: the URL, the secret ("" when none is set), the client, and
// what was read, for receiver.Opened.Read.
type Opened struct {
	URL, Secret secret.Secret
	Client      *http.Client
	Read        []string
}

// Open reads the URL, the secret and the CA certificates. Its errors name the key and
// where a value came from, never the value.
func (e Endpoint) Open(getenv func(string) string) (Opened, error) {
	var o Opened
	u, err := secret.Read(e.URLEnv, e.URLFile, getenv)
	if err != nil {
		return o, fmt.Errorf("%s.%s: %w (receiver %q)", e.Key, pick(e.URLEnv != "", "url_env", "url_file"), err, e.Name)
	}
	// Not quoting url.Parse's error: it holds the URL.
	pu, perr := url.Parse(u.Reveal())
	if perr != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
		from := pick(e.URLEnv != "", "environment variable "+e.URLEnv, "file "+e.URLFile)
		return o, fmt.Errorf("%s.%s: the webhook URL in %s is not an absolute http(s) URL (receiver %q)",
			e.Key, pick(e.URLEnv != "", "url_env", "url_file"), from, e.Name)
	}
	o.URL = u
	if e.SecretEnv != "" || e.SecretFile != "" {
		if o.Secret, err = secret.Read(e.SecretEnv, e.SecretFile, getenv); err != nil {
			return o, fmt.Errorf("%s.%s: %w (receiver %q)", e.Key, pick(e.SecretEnv != "", "secret_env", "secret_file"), err, e.Name)
		}
	}
	var pem []byte
	if o.Client, pem, err = client(e.TLSCAFile, e.Timeout); err != nil {
		return o, fmt.Errorf("%s.tls_ca_file: %w", e.Key, err)
	}
	o.Read = []string{u.Reveal(), o.Secret.Reveal(), string(pem)}
	return o, nil
}

// Check reads what Open reads and returns its problem, if any.
func (e Endpoint) Check(getenv func(string) string) []error {
	if _, err := e.Open(getenv); err != nil {
		return []error{err}
	}
	return nil
}

// client is a client with timeout, verifying with the CA certificates in file when set,
// and what file holds.
func client(file string, timeout time.Duration) (*http.Client, []byte, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if file == "" {
		return &http.Client{Timeout: timeout}, nil, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr, Timeout: timeout}, pem, nil
}

func pick(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}

// PaceKey is the key under which the receivers posting to one robot share its Window
// (receiver.Deps.Share): the kind and a hash of the URL, which is a secret.
func PaceKey(kind string, u secret.Secret) string {
	h := sha256.Sum256([]byte(u.Reveal()))
	return kind + " " + hex.EncodeToString(h[:8])
}

// Scrub removes from a robot's answer what would reveal its URL: the URL, its path and
// its query values (a token, a key), so that an answer can be logged and put in errors.
func Scrub(s string, u secret.Secret) string {
	raw := u.Reveal()
	forms := []string{raw}
	if pu, err := url.Parse(raw); err == nil {
		if len(pu.Path) >= 8 {
			forms = append(forms, pu.Path)
		}
		if i := strings.LastIndexByte(pu.Path, '/'); i >= 0 && len(pu.Path)-i > 8 {
			forms = append(forms, pu.Path[i+1:])
		}
		for _, vs := range pu.Query() {
			for _, v := range vs {
				if len(v) >= 8 {
					forms = append(forms, v)
				}
			}
		}
	}
	for _, f := range forms {
		s = strings.ReplaceAll(s, f, "<secret>")
	}
	return s
}
