package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/exporter-toolkit/web"
	"go.yaml.in/yaml/v2"

	"notifier/internal/config"
)

// The environment of healthcheck's basic auth: the user when --web.username is not given
// (so that the image's HEALTHCHECK, whose arguments are fixed, can log in), and the
// password unless --web.password-file.
const (
	userEnv     = "NOTIFIER_WEB_USERNAME"
	passwordEnv = "NOTIFIER_WEB_PASSWORD"
)

// healthOptions are healthcheck's flags.
type healthOptions struct {
	config, url, user, passwordFile string
	ready                           bool
	timeout                         time.Duration
}

// runHealthcheck asks a running notifier's /healthz (liveness; /readyz with --ready), for
// images without a shell: exit 0 when it answers 200, 1 otherwise. Where to ask and how
// come from the configuration file, as the notifier reads it: http.listen (loopback for an
// address of every interface) and http.web_config_file (TLS, basic auth).
func runHealthcheck(o *healthOptions, stdout, stderr io.Writer) int {
	req, client, err := o.request(os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "notifier healthcheck: %v\n", err)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	target := req.URL.Redacted()
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		fmt.Fprintf(stderr, "notifier healthcheck: %s: no answer: %v\n", target, transportError(err))
		return exitRuntime
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		fmt.Fprintf(stderr, "notifier healthcheck: %s: %s: the listener asks for basic auth (--web.username, and $%s or --web.password-file)\n",
			target, resp.Status, passwordEnv)
		return exitRuntime
	case resp.StatusCode != http.StatusOK:
		fmt.Fprintf(stderr, "notifier healthcheck: %s: %s\n%s", target, resp.Status, body)
		return exitRuntime
	}
	if o.ready {
		fmt.Fprintln(stdout, "ready")
	} else {
		fmt.Fprintln(stdout, "alive")
	}
	return exitOK
}

// request builds the request and the client to send it with.
func (o *healthOptions) request(getenv func(string) string) (*http.Request, *http.Client, error) {
	h, err := o.listener(getenv)
	if err != nil {
		return nil, nil, err
	}
	tc, err := webTLS(h.WebConfigFile)
	if err != nil {
		return nil, nil, err
	}
	target, err := o.target(h.Listen, tc != nil)
	if err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequest(http.MethodGet, target.String(), nil)
	if err != nil {
		return nil, nil, err
	}
	if err := o.basicAuth(req, getenv); err != nil {
		return nil, nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if tc != nil {
		tr.TLSClientConfig = tc.clientConfig(target.Hostname())
	}
	return req, &http.Client{Transport: tr}, nil
}

// listener is the [http] table of the configuration file. With no file at all (none
// given, $NOTIFIER_CONFIG naming one that does not exist, no ./notifier.toml — as under
// `docker run … demo`), it is the build's defaults: the image's 0.0.0.0:9464, which the
// demo listens on in the image too, and no web config.
func (o *healthOptions) listener(getenv func(string) string) (config.HTTP, error) {
	path, err := configPath(o.config, getenv)
	if err != nil {
		return config.Default().HTTP, nil
	}
	cfg, err := config.LoadFile(path)
	if errors.Is(err, fs.ErrNotExist) && o.config == "" {
		return config.Default().HTTP, nil
	}
	if err != nil {
		return config.HTTP{}, err
	}
	return cfg.HTTP, nil
}

// target is --url, or the health endpoint at listen: on loopback when listen is every
// interface's address (0.0.0.0, ::, or no host).
func (o *healthOptions) target(listen string, tls bool) (*url.URL, error) {
	if o.url != "" {
		u, err := url.Parse(o.url)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, errors.New("--url must be an absolute http(s) URL")
		}
		return u, nil
	}
	if listen == "" {
		return nil, errors.New("http.listen is \"\": the notifier serves no endpoint to ask (set it, or pass --url)")
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("http.listen %q: %w", listen, err)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	u := &url.URL{Scheme: "http", Host: net.JoinHostPort(host, port), Path: "/healthz"}
	if tls {
		u.Scheme = "https"
	}
	if o.ready {
		u.Path = "/readyz"
	}
	return u, nil
}

// basicAuth sets the request's basic auth from --web.username (or $NOTIFIER_WEB_USERNAME)
// and the password from --web.password-file or $NOTIFIER_WEB_PASSWORD. Errors never
// quote the password.
func (o *healthOptions) basicAuth(req *http.Request, getenv func(string) string) error {
	if o.user == "" {
		o.user = getenv(userEnv)
	}
	pass := getenv(passwordEnv)
	if o.passwordFile != "" {
		b, err := os.ReadFile(o.passwordFile)
		if err != nil {
			return fmt.Errorf("--web.password-file: %w", err)
		}
		pass = strings.TrimRight(string(b), "\r\n")
	}
	switch {
	case o.user == "" && pass == "":
		return nil
	case o.user == "":
		return errors.New("a basic auth password is set but --web.username is not")
	case pass == "":
		return fmt.Errorf("--web.username is set but no password: set $%s or pass --web.password-file", passwordEnv)
	}
	req.SetBasicAuth(o.user, pass)
	return nil
}

// serverTLS is what healthcheck trusts of a listener that serves TLS: the system's roots
// and the certificate the listener is configured with (tls_server_config's cert_file or
// cert), so that a self-signed one is trusted for what it is and nothing else is.
type serverTLS struct{ roots *x509.CertPool }

// webTLS reads the web config file as the listener does (exporter-toolkit's format, its
// relative paths from the file's directory); nil when it serves no TLS.
func webTLS(path string) (*serverTLS, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("http.web_config_file: %w", err)
	}
	var c web.Config
	if err := yaml.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("http.web_config_file: %s: %w", path, err)
	}
	t := c.TLSConfig
	if !t.IsEnabled() {
		return nil, nil
	}
	t.SetDirectory(filepath.Dir(path))
	pem := []byte(t.TLSCert)
	if t.TLSCertPath != "" {
		if pem, err = os.ReadFile(t.TLSCertPath); err != nil {
			return nil, fmt.Errorf("http.web_config_file: tls_server_config.cert_file: %w", err)
		}
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("http.web_config_file: %s: tls_server_config: no PEM certificate in the server's certificate", path)
	}
	return &serverTLS{roots: roots}, nil
}

// clientConfig verifies the server's chain against the roots. Its host name is checked
// too, unless host is a loopback address: healthcheck then talks to the notifier beside
// it, whose certificate names the host it is known by elsewhere (a Service, a DNS name),
// and the chain alone ties it to the configured certificate.
func (s *serverTLS) clientConfig(host string) *tls.Config {
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return &tls.Config{RootCAs: s.roots, MinVersion: tls.VersionTLS12}
	}
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // the chain is verified below, without the host name
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the server sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: s.roots, Intermediates: inter})
			return err
		},
	}
}

// transportError is err without the URL http.Client puts in it (the request's, which
// carries no password here, but says the same as the line's prefix).
func transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
