package config

import (
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"time"

	"notifier/internal/secret"
)

// PagerDuty is one PagerDuty Events API v2 integration ([[pagerduty]]): a matching event
// opens or updates an incident, and the end of the task resolves it. Its routing key is a
// secret, so the file only names where to read it.
type PagerDuty struct {
	Name           string   `toml:"name"`
	RoutingKeyEnv  string   `toml:"routing_key_env"`
	RoutingKeyFile string   `toml:"routing_key_file"`
	URL            string   `toml:"url"`          // "": DefaultPagerDutyURL
	MinSeverity    string   `toml:"min_severity"` // default critical
	TaskNames      []string `toml:"task_names"`
	Statuses       []string `toml:"statuses"`
	Projects       []string `toml:"projects"`
	MaxPending     int      `toml:"max_pending"`
}

// DefaultPagerDutyURL is the Events API v2 endpoint pagerduty.url defaults to.
const DefaultPagerDutyURL = "https://events.pagerduty.com/v2/enqueue"

// Alertmanager is one Prometheus Alertmanager (API v2) or cluster of them
// ([[alertmanager]]): its active alerts are re-sent every ResendInterval until the task
// or the gap they are about ends. The credentials are secrets, named by where to read
// them.
type Alertmanager struct {
	Name                  string   `toml:"name"`
	URL                   string   `toml:"url"` // comma-separated: each gets every alert
	ResendInterval        Duration `toml:"resend_interval"`
	FailedTTL             Duration `toml:"failed_ttl"` // a failure never retried stays active this long
	MinSeverity           string   `toml:"min_severity"`
	TaskNames             []string `toml:"task_names"`
	Statuses              []string `toml:"statuses"`
	Projects              []string `toml:"projects"`
	BasicAuthUserEnv      string   `toml:"basic_auth_user_env"`
	BasicAuthUserFile     string   `toml:"basic_auth_user_file"`
	BasicAuthPasswordEnv  string   `toml:"basic_auth_password_env"`
	BasicAuthPasswordFile string   `toml:"basic_auth_password_file"`
	BearerTokenEnv        string   `toml:"bearer_token_env"`
	BearerTokenFile       string   `toml:"bearer_token_file"`
	TLSCAFile             string   `toml:"tls_ca_file"`
	MaxPending            int      `toml:"max_pending"`
}

// Defaults of the on-call receivers, applied by Load to a key absent from an entry.
const (
	defaultPagerDutySeverity    = "critical"
	defaultAlertmanagerSeverity = "warning"
	defaultResendInterval       = Duration(time.Minute)
	defaultFailedTTL            = Duration(24 * time.Hour)
)

// URLs returns the Alertmanager URLs, trimmed, without a trailing slash.
func (a *Alertmanager) URLs() []string {
	var out []string
	for _, u := range strings.Split(a.URL, ",") {
		if u = strings.TrimRight(strings.TrimSpace(u), "/"); u != "" {
			out = append(out, u)
		}
	}
	return out
}

// normalizeIncident applies the defaults of the on-call receivers to the keys an entry
// does not write.
func (c *Config) normalizeIncident(written map[string]bool) {
	for i := range c.PagerDuty {
		pd := &c.PagerDuty[i]
		key := fmt.Sprintf("pagerduty[%d].", i)
		if pd.MinSeverity == "" {
			pd.MinSeverity = defaultPagerDutySeverity
		}
		if pd.URL == "" {
			pd.URL = DefaultPagerDutyURL
		}
		if !written[key+"max_pending"] {
			pd.MaxPending = DefaultMaxPending
		}
		lower(pd.Projects)
	}
	for i := range c.Alertmanager {
		am := &c.Alertmanager[i]
		key := fmt.Sprintf("alertmanager[%d].", i)
		if am.MinSeverity == "" {
			am.MinSeverity = defaultAlertmanagerSeverity
		}
		if !written[key+"resend_interval"] {
			am.ResendInterval = defaultResendInterval
		}
		if !written[key+"failed_ttl"] {
			am.FailedTTL = defaultFailedTTL
		}
		if !written[key+"max_pending"] {
			am.MaxPending = DefaultMaxPending
		}
		lower(am.Projects)
	}
}

func lower(s []string) {
	for i := range s {
		s[i] = strings.ToLower(s[i])
	}
}

// validateIncident checks the [[pagerduty]] and [[alertmanager]] entries.
func (c *Config) validateIncident(p *problems) {
	for i, pd := range c.PagerDuty {
		key := fmt.Sprintf("pagerduty[%d]", i)
		secretSource(p, key+".routing_key", pd.RoutingKeyEnv, pd.RoutingKeyFile, true)
		if msg := checkEndpoint(pd.URL); msg != "" {
			p.add(key+".url", "%s", msg)
		}
		c.validateFilter(p, key, pd.MinSeverity, pd.TaskNames, pd.Statuses, pd.Projects, pd.MaxPending)
	}
	for i, am := range c.Alertmanager {
		key := fmt.Sprintf("alertmanager[%d]", i)
		urls := am.URLs()
		if len(urls) == 0 {
			p.add(key+".url", "must be set: one or more Alertmanager URLs, comma-separated, such as \"http://alertmanager:9093\"")
		}
		for j, u := range urls {
			if msg := checkEndpoint(u); msg != "" {
				p.add(key+".url", "URL %d of %d %s", j+1, len(urls), msg)
			}
		}
		atLeast(p, key+".resend_interval", am.ResendInterval, time.Second)
		positive(p, key+".failed_ttl", am.FailedTTL)
		secretSource(p, key+".basic_auth_user", am.BasicAuthUserEnv, am.BasicAuthUserFile, false)
		secretSource(p, key+".basic_auth_password", am.BasicAuthPasswordEnv, am.BasicAuthPasswordFile, false)
		secretSource(p, key+".bearer_token", am.BearerTokenEnv, am.BearerTokenFile, false)
		user := am.BasicAuthUserEnv != "" || am.BasicAuthUserFile != ""
		pass := am.BasicAuthPasswordEnv != "" || am.BasicAuthPasswordFile != ""
		bearer := am.BearerTokenEnv != "" || am.BearerTokenFile != ""
		switch {
		case user != pass:
			p.add(key+".basic_auth_user_env", "basic auth needs both a user (basic_auth_user_env or _file) and a password (basic_auth_password_env or _file)")
		case user && bearer:
			p.add(key+".bearer_token_env", "set either basic auth or a bearer token, not both")
		}
		c.validateFilter(p, key, am.MinSeverity, am.TaskNames, am.Statuses, am.Projects, am.MaxPending)
	}
}

// validateFilter checks a receiver's filter keys as for a Slack webhook.
func (c *Config) validateFilter(p *problems, key, minSev string, names, statuses, projects []string, pending int) {
	oneOf(p, key+".min_severity", minSev, "info", "warning", "critical")
	maxPending(p, key+".max_pending", pending)
	nonEmpty(p, key+".task_names", names)
	nonEmpty(p, key+".statuses", statuses)
	known := map[string]bool{}
	for _, pr := range c.DCS.Projects {
		known[strings.ToLower(pr.ProjectID)] = true
	}
	if len(c.DCS.Discover) > 0 {
		known[anyDiscovered] = true
	}
	for j, id := range projects {
		if !isKnownProject(known, id) {
			p.add(fmt.Sprintf("%s.projects[%d]", key, j), "unknown project %q (not in dcs.projects)", id)
		}
	}
}

// incidentReceivers lists the [[pagerduty]] then the [[alertmanager]] entries as
// receivers. Both follow incidents: they also get the events that may end one they
// opened, whatever their filters.
func (c *Config) incidentReceivers() []Receiver {
	var out []Receiver
	for i, pd := range c.PagerDuty {
		out = append(out, Receiver{Name: pd.Name, Kind: "pagerduty", Key: fmt.Sprintf("pagerduty[%d]", i),
			MinSeverity: pd.MinSeverity, TaskNames: pd.TaskNames, Statuses: pd.Statuses, Projects: pd.Projects,
			MaxPending: pd.MaxPending, Incidents: true})
	}
	for i, am := range c.Alertmanager {
		out = append(out, Receiver{Name: am.Name, Kind: "alertmanager", Key: fmt.Sprintf("alertmanager[%d]", i),
			MinSeverity: am.MinSeverity, TaskNames: am.TaskNames, Statuses: am.Statuses, Projects: am.Projects,
			MaxPending: am.MaxPending, Incidents: true})
	}
	return out
}

// checkIncidentEnvironment reads the secrets and files of the on-call receivers as run
// would: each routing key, the Alertmanager credentials that are set, and tls_ca_file.
func (c *Config) checkIncidentEnvironment(getenv func(string) string) []error {
	var errs []error
	secret := func(key, env, file, name string) {
		if env == "" && file == "" {
			return
		}
		k := key + "_env"
		if file != "" {
			k = key + "_file"
		}
		if _, err := secret.Read(env, file, getenv); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w (receiver %q)", k, err, name))
		}
	}
	for i, pd := range c.PagerDuty {
		secret(fmt.Sprintf("pagerduty[%d].routing_key", i), pd.RoutingKeyEnv, pd.RoutingKeyFile, pd.Name)
	}
	for i, am := range c.Alertmanager {
		key := fmt.Sprintf("alertmanager[%d]", i)
		secret(key+".basic_auth_user", am.BasicAuthUserEnv, am.BasicAuthUserFile, am.Name)
		secret(key+".basic_auth_password", am.BasicAuthPasswordEnv, am.BasicAuthPasswordFile, am.Name)
		secret(key+".bearer_token", am.BearerTokenEnv, am.BearerTokenFile, am.Name)
		if am.TLSCAFile == "" {
			continue
		}
		if pem, err := os.ReadFile(am.TLSCAFile); err != nil {
			errs = append(errs, fmt.Errorf("%s.tls_ca_file: %w", key, err))
		} else if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			errs = append(errs, fmt.Errorf("%s.tls_ca_file: %s holds no PEM certificate", key, am.TLSCAFile))
		}
	}
	return errs
}
