package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"

	"notifier/internal/secret"
)

// CheckEnvironment reads everything the configuration names outside the file, as run
// would at start: the DCS credentials, the NATS token, user and password, the NATS
// credentials, seed and TLS files, every webhook URL, which must be an absolute
// http(s) URL, every Slack bot token, and http.web_config_file with the certificate and
// key it names. It reports every problem, one per line, each
// naming the key and the variable or file, never a value. The security token stays optional, as for run: an
// unset variable means none. getenv is os.Getenv when nil.
func (c *Config) CheckEnvironment(getenv func(string) string) error {
	if getenv == nil {
		getenv = os.Getenv
	}
	var errs []error
	if err := c.DCS.ReadAllCredentials(getenv); err != nil {
		errs = append(errs, err)
	}
	if c.NATS.URL != "" {
		errs = append(errs, c.NATS.checkFiles()...)
		if _, err := c.NATS.ReadAuth(getenv); err != nil {
			errs = append(errs, err)
		}
	}
	for i, w := range c.Slack.Webhooks {
		if err := w.checkURL(i, getenv); err != nil {
			errs = append(errs, err)
		}
	}
	for i, ch := range c.Slack.Channels {
		if _, err := ch.ReadToken(i, getenv); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, c.checkIncidentEnvironment(getenv)...)
	if err := c.HTTP.CheckWebConfig(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// checkFiles checks that the NATS credentials, seed and TLS files can be read, and that
// the TLS files hold what they should.
func (n *NATS) checkFiles() []error {
	var errs []error
	for _, f := range []struct{ key, path string }{
		{"nats.creds_file", n.CredsFile}, {"nats.nkey_seed_file", n.NKeySeedFile},
		{"nats.tls_ca_file", n.TLSCAFile}, {"nats.tls_cert_file", n.TLSCertFile}, {"nats.tls_key_file", n.TLSKeyFile},
	} {
		if f.path == "" {
			continue
		}
		if err := readable(f.path); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.key, err))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	if n.TLSCAFile != "" {
		pem, err := os.ReadFile(n.TLSCAFile)
		if err == nil && !x509.NewCertPool().AppendCertsFromPEM(pem) {
			errs = append(errs, fmt.Errorf("nats.tls_ca_file: %s holds no PEM certificate", n.TLSCAFile))
		}
	}
	if n.TLSCertFile != "" && n.TLSKeyFile != "" {
		// The error of tls.LoadX509KeyPair describes the PEM blocks, never the key itself.
		if _, err := tls.LoadX509KeyPair(n.TLSCertFile, n.TLSKeyFile); err != nil {
			errs = append(errs, fmt.Errorf("nats.tls_cert_file, nats.tls_key_file: cannot be used together: %w", err))
		}
	}
	return errs
}

// checkURL reads the webhook's URL as the sink will and checks its form. The URL is a
// secret: messages name where it came from, never what it is.
func (w *Webhook) checkURL(i int, getenv func(string) string) error {
	key := fmt.Sprintf("slack.webhooks[%d]", i)
	from := "environment variable " + w.URLEnv
	if w.URLFile != "" {
		key, from = key+".url_file", "file "+w.URLFile
	} else {
		key += ".url_env"
	}
	raw, err := secret.Read(w.URLEnv, w.URLFile, getenv)
	switch {
	case errors.Is(err, secret.ErrUnset):
		return fmt.Errorf("%s: environment variable %s is empty or unset (receiver %q)", key, w.URLEnv, w.Name)
	case err != nil:
		return fmt.Errorf("%s: %w (receiver %q)", key, err, w.Name)
	}
	// Not quoting url.Parse's error: it holds the URL.
	u, perr := url.Parse(raw.Reveal())
	if perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%s: the webhook URL in %s is not an absolute http(s) URL (receiver %q)", key, from, w.Name)
	}
	return nil
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
