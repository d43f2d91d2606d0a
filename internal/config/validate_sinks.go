package config

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"notifier/internal/secret"
)

func (s *Slack) validate(p *problems, projects []Project, discovering bool) {
	known := map[string]bool{}
	for _, pr := range projects {
		known[strings.ToLower(pr.ProjectID)] = true
	}
	if discovering {
		known[anyDiscovered] = true
	}
	for i, w := range s.Webhooks {
		key := fmt.Sprintf("slack.webhooks[%d]", i)
		if (w.URLEnv == "") == (w.URLFile == "") {
			p.add(key, "exactly one of url_env and url_file must be set")
		}
		envName(p, key+".url_env", w.URLEnv, false)
		if w.MinSeverity != "" { // empty means info
			oneOf(p, key+".min_severity", w.MinSeverity, "info", "warning", "critical")
		}
		maxPending(p, key+".max_pending", w.MaxPending)
		nonEmpty(p, key+".task_names", w.TaskNames)
		nonEmpty(p, key+".statuses", w.Statuses)
		for j, id := range w.Projects {
			switch {
			case !isKnownProject(known, id):
				p.add(fmt.Sprintf("%s.projects[%d]", key, j), "unknown project %q (not in dcs.projects)", id)
			}
		}
	}
	s.validateChannels(p, known)
	s.validateLinks(p)
}

func (h *HTTP) validate(p *problems) {
	if h.Listen == "" {
		if h.WebConfigFile != "" {
			p.add("http.web_config_file", "is set but http.listen is \"\": there is no listener to secure")
		}
		return // the listener is disabled
	}
	if _, port, err := net.SplitHostPort(h.Listen); err != nil || port == "" {
		p.add("http.listen", "must be host:port such as \"127.0.0.1:9464\" or \":9464\", got %q", h.Listen)
	}
}

func (l *Log) validate(p *problems) {
	if l.Level != "" { // zerolog reads "" as no level at all; Load makes it info
		oneOf(p, "log.level", l.Level, "trace", "debug", "info", "warn", "error")
	}
	oneOf(p, "log.format", l.Format, "json", "console")
}

// checkURL returns what is wrong with raw, or "" if it is an absolute URL
// with one of schemes and a host. The message never quotes raw, which may
// hold a password.
func checkURL(raw string, schemes ...string) string {
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

// checkEndpoint is checkURL for an HTTP endpoint, which has no query or
// fragment because the SDK appends paths to it.
func checkEndpoint(raw string) string {
	if msg := checkURL(raw, "http", "https"); msg != "" {
		return msg
	}
	u, _ := url.Parse(raw)
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "must not have a query or a fragment"
	}
	return ""
}

func oneOf(p *problems, key, v string, allowed ...string) {
	if !slices.Contains(allowed, v) {
		p.add(key, "must be one of %s, got %q", strings.Join(allowed, ", "), v)
	}
}

func envName(p *problems, key, v string, required bool) {
	switch {
	case v == "" && required:
		p.add(key, "must be set")
	case v != "" && !secret.ValidEnvName(v):
		// Never quoted: what is not a name is likely the secret itself, pasted here.
		p.add(key, "%s (a name is letters, digits and _, not starting with a digit)", secret.ErrNotEnvName)
	}
}

// secretSource checks where the secret key (dcs.ak, nats.token...) is read from: key_env
// names an environment variable, key_file a file, and at most one is set (exactly one when
// required), as ReadSecret wants.
func secretSource(p *problems, key, env, file string, required bool) {
	envName(p, key+"_env", env, false)
	switch {
	case env != "" && file != "":
		p.add(key+"_env", "set only one of %s_env and %s_file", key, key)
	case env == "" && file == "" && required:
		p.add(key+"_env", "must be set (or %s_file)", key)
	}
}

func nonEmpty(p *problems, key string, list []string) {
	for i, s := range list {
		if strings.TrimSpace(s) == "" {
			p.add(fmt.Sprintf("%s[%d]", key, i), "must not be empty")
		}
	}
}

func maxPending(p *problems, key string, n int) {
	if n < 1 {
		p.add(key, "must be at least 1, got %d", n)
	}
}

func positive(p *problems, key string, d Duration) {
	if d <= 0 {
		p.add(key, "must be positive, got %s", d)
	}
}

func atLeast(p *problems, key string, d Duration, lowest time.Duration) {
	if d.D() < lowest {
		p.add(key, "must be at least %s, got %s", Duration(lowest), d)
	}
}

// anyDiscovered, in a set of known project ids, says that [[dcs.discover]] may find any
// other project: a discovered project is known only at run time.
const anyDiscovered = "*"

// isKnownProject reports whether a project id named in a filter may be watched: one of
// dcs.projects, or any project id when projects are discovered.
func isKnownProject(known map[string]bool, id string) bool {
	return known[strings.ToLower(id)] || known[anyDiscovered] && projectIDRE.MatchString(id)
}
