package config

import (
	"net"
	"time"

	"notifier/internal/confkit"
)

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

// The checks below are confkit's, on config's own list of problems.

func (p *problems) kit() *confkit.Problems { return (*confkit.Problems)(p) }

func checkURL(raw string, schemes ...string) string { return confkit.CheckURL(raw, schemes...) }

func checkEndpoint(raw string) string { return confkit.CheckEndpoint(raw) }

func oneOf(p *problems, key, v string, allowed ...string) { p.kit().OneOf(key, v, allowed...) }

func envName(p *problems, key, v string, required bool) { p.kit().EnvName(key, v, required) }

func secretSource(p *problems, key, env, file string, required bool) {
	p.kit().SecretSource(key, env, file, required)
}

func nonEmpty(p *problems, key string, list []string) { p.kit().NonEmpty(key, list) }

func maxPending(p *problems, key string, n int) { p.kit().MaxPending(key, n) }

func positive(p *problems, key string, d Duration) { p.kit().Positive(key, d) }

func atLeast(p *problems, key string, d Duration, lowest time.Duration) {
	p.kit().AtLeast(key, d, lowest)
}
