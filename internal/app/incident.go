package app

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"

	"github.com/rs/zerolog"

	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/httpx"
	"notifier/internal/secret"
	"notifier/internal/sinks/alertmanager"
	"notifier/internal/sinks/pagerduty"
)

// openIncident opens the on-call receivers, [[pagerduty]] then [[alertmanager]], the
// ones wanted. Errors name the entry's key and never a secret.
func openIncident(cfg *config.Config, log zerolog.Logger, getenv func(string) string, wanted func(string) bool, shared string) ([]receiver, error) {
	var out []receiver
	statuses := event.NewStatuses(cfg.Poll.TerminalStatuses)
	for i, c := range cfg.PagerDuty {
		if !wanted(c.Name) {
			continue
		}
		key, err := secret.Read(c.RoutingKeyEnv, c.RoutingKeyFile, getenv)
		if err != nil {
			return out, setupErr("pagerduty[%d].routing_key: %w", i, err)
		}
		s, err := pagerduty.New(pagerduty.Options{Index: i, Config: c, RoutingKey: key, Log: log,
			Statuses: statuses, Links: cfg.Slack.Links, Muted: incidentMuted(cfg, c.Name)})
		if err != nil {
			return out, &SetupError{err}
		}
		out = append(out, receiver{sink: s, kind: "pagerduty", maxPending: c.MaxPending, fp: fingerprint("pagerduty", c, key.Reveal(), shared)})
	}
	for i, c := range cfg.Alertmanager {
		if !wanted(c.Name) {
			continue
		}
		auth, err := alertmanagerAuth(c, getenv)
		if err != nil {
			return out, setupErr("alertmanager[%d].%w", i, err)
		}
		client, err := caClient(c.TLSCAFile)
		if err != nil {
			return out, setupErr("alertmanager[%d].tls_ca_file: %w", i, err)
		}
		s, err := alertmanager.New(alertmanager.Options{Index: i, Config: c, Auth: auth, Client: client, Log: log,
			Statuses: statuses, Links: cfg.Slack.Links, TaskTTL: cfg.Poll.MaxFollow.D(), Muted: incidentMuted(cfg, c.Name)})
		if err != nil {
			return out, &SetupError{err}
		}
		out = append(out, receiver{sink: s, kind: "alertmanager", maxPending: c.MaxPending,
			fp: fingerprint("alertmanager", c, auth.User.Reveal(), auth.Password.Reveal(), auth.BearerToken.Reveal(), fileDigest(c.TLSCAFile), shared)})
	}
	return out, nil
}

// alertmanagerAuth reads an entry's credentials; the error starts with the key's name
// after "alertmanager[i].".
func alertmanagerAuth(c config.Alertmanager, getenv func(string) string) (alertmanager.Auth, error) {
	var a alertmanager.Auth
	read := func(key, env, file string, to *secret.Secret) error {
		if env == "" && file == "" {
			return nil
		}
		v, err := secret.Read(env, file, getenv)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		*to = v
		return nil
	}
	for _, r := range []struct {
		key, env, file string
		to             *secret.Secret
	}{
		{"basic_auth_user", c.BasicAuthUserEnv, c.BasicAuthUserFile, &a.User},
		{"basic_auth_password", c.BasicAuthPasswordEnv, c.BasicAuthPasswordFile, &a.Password},
		{"bearer_token", c.BearerTokenEnv, c.BearerTokenFile, &a.BearerToken},
	} {
		if err := read(r.key, r.env, r.file, r.to); err != nil {
			return a, err
		}
	}
	return a, nil
}

// caClient is the client of an Alertmanager verified with the CA certificates in file,
// or nil (httpx's default) when file is "".
func caClient(file string) (*http.Client, error) {
	if file == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr, Timeout: httpx.DefaultTimeout}, nil
}
