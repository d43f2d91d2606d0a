package config

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"notifier/internal/region"
	"notifier/internal/sinks/natssink"
)

var (
	regionRE    = regexp.MustCompile(`^[a-z0-9-]+$`)
	projectIDRE = regexp.MustCompile(`^[0-9A-Fa-f]{32}$`)
	natsTokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

// problems collects validation errors, each prefixed with the key it is about.
type problems []error

func (p *problems) add(key, format string, args ...any) {
	*p = append(*p, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
}

// Validate reports every problem in c, one per line, in the order of the
// keys in the file. It does not read the environment or any file.
func (c *Config) Validate() error {
	if c == nil {
		return errors.New("config: nil configuration")
	}
	var p problems
	c.DCS.validate(&p)
	c.Poll.validate(&p)
	c.State.validate(&p, &c.NATS)
	c.validateReceivers(&p)
	c.Slack.validateLinks(&p)
	c.validateMutes(&p)
	c.HTTP.validate(&p)
	c.Log.validate(&p)
	c.Stuck.validate(&p)
	positive(&p, "shutdown.timeout", c.Shutdown.Timeout)
	if c.Cluster.Shards < 1 || c.Cluster.Shards > 64 {
		p.add("cluster.shards", "must be between 1 and 64, got %d", c.Cluster.Shards)
	} else if c.Cluster.Shards > 1 && c.State.Backend != "nats-kv" {
		p.add("cluster.shards", "needs state.backend = \"nats-kv\"")
	}
	return errors.Join(p...)
}

func (s *State) validate(p *problems, n *natssink.Config) {
	oneOf(p, "state.backend", s.Backend, "file", "nats-kv")
	switch s.Backend {
	case "file":
		if s.Path == "" {
			p.add("state.path", "must be set")
		}
	case "nats-kv":
		if !natsTokenRE.MatchString(s.Bucket) {
			p.add("state.bucket", "must match [A-Za-z0-9_-]+, got %q", s.Bucket)
		}
		if s.Replicas < 1 || s.Replicas > 5 {
			p.add("state.replicas", "must be between 1 and 5, got %d", s.Replicas)
		}
		if s.LeaseTTL.D() < time.Second {
			p.add("state.lease_ttl", "must be at least 1s, got %s", s.LeaseTTL)
		}
		if n.URL == "" || !n.JetStream {
			p.add("state.backend", "\"nats-kv\" needs nats.url and nats.jetstream = true")
		}
	}
}

func (d *DCS) validate(p *problems) {
	secretSource(p, "dcs.ak", d.AKEnv, d.AKFile, true)
	secretSource(p, "dcs.sk", d.SKEnv, d.SKFile, true)
	secretSource(p, "dcs.security_token", d.SecurityTokenEnv, d.SecurityTokenFile, false)
	if d.PageSize < 1 || d.PageSize > 1000 {
		p.add("dcs.page_size", "must be between 1 and 1000, got %d", d.PageSize)
	}
	positive(p, "dcs.request_timeout", d.RequestTimeout)
	oneOf(p, "dcs.start_time_param", d.StartTimeParam, "auto", "start_time", "begin_time")
	if d.MaxBodyBytes <= 0 {
		p.add("dcs.max_body_bytes", "must be positive, got %d", d.MaxBodyBytes)
	}
	if len(d.Projects) == 0 && len(d.Discover) == 0 {
		p.add("dcs.projects", "at least one project is required (or a dcs.discover entry)")
	}
	d.validateFleet(p)
	first, named := map[string]int{}, map[string]int{}
	for i, pr := range d.Projects {
		key := fmt.Sprintf("dcs.projects[%d]", i)
		pr.validate(p, key)
		id := strings.ToLower(pr.ProjectID)
		if j, dup := first[id]; dup && id != "" {
			p.add(key+".project_id", "duplicate of dcs.projects[%d]", j)
		} else {
			first[id] = i
		}
		if j, dup := named[pr.Name]; dup && pr.Name != "" {
			p.add(key+".name", "duplicate of dcs.projects[%d].name %q", j, pr.Name)
		} else {
			named[pr.Name] = i
		}
	}
}

func (pr *Project) validate(p *problems, key string) {
	if pr.Name != "" && (strings.TrimSpace(pr.Name) != pr.Name || len(pr.Name) > 64 || strings.ContainsFunc(pr.Name, unicode.IsControl)) {
		p.add(key+".name", "must be at most 64 characters, without control characters or surrounding spaces, got %q", pr.Name)
	}
	switch {
	case pr.Region == "":
		p.add(key+".region", "must be set")
	case !regionRE.MatchString(pr.Region):
		p.add(key+".region", "must match [a-z0-9-]+, got %q", pr.Region)
	case pr.Endpoint == "" && !region.Known(pr.Region):
		p.add(key+".region", "unknown region %q (set endpoint to use a region the SDK does not know)", pr.Region)
	}
	switch {
	case pr.ProjectID == "":
		p.add(key+".project_id", "must be set")
	case len(pr.ProjectID) != 32:
		p.add(key+".project_id", "must be 32 hex characters, got %d", len(pr.ProjectID))
	case !projectIDRE.MatchString(pr.ProjectID):
		p.add(key+".project_id", "must be 32 hex characters, got %q", pr.ProjectID)
	}
	if pr.Endpoint != "" {
		if msg := checkEndpoint(pr.Endpoint); msg != "" {
			p.add(key+".endpoint", "%s", msg)
		}
	}
}

func (s *Stuck) validate(p *problems) {
	if s.DefaultAfter < 0 {
		p.add("stuck.default_after", "must not be negative (\"0s\": no default), got %s", s.DefaultAfter)
	}
	if s.Factor < 1 {
		p.add("stuck.factor", "must be at least 1 (a task is stuck when it runs longer than factor × p95 of finished ones), got %g", s.Factor)
	}
	if s.MinSamples < 1 {
		p.add("stuck.min_samples", "must be at least 1, got %d", s.MinSamples)
	}
	if s.MinAfter < 0 {
		p.add("stuck.min_after", "must not be negative, got %s", s.MinAfter)
	}
	for _, name := range slices.Sorted(maps.Keys(s.After)) {
		if s.After[name] <= 0 {
			p.add("stuck.after."+name, "must be positive, got %s", s.After[name])
		}
	}
}

// followDefaults makes poll.max_follow and poll.max_backoff, when the file does not set
// them (written holds the keys it sets), follow the window the rules below judge them by,
// lookback + safety_margin: max_follow defaults to max(168h, window), so that raising only
// lookback stays valid, and max_backoff to min(5m, window / 2), so that a short lookback
// does too. A value the file sets is kept, and refused by validate if it breaks a rule.
func (pl *Poll) followDefaults(written map[string]bool) {
	window := pl.Lookback + pl.SafetyMargin
	if !written["poll.max_follow"] {
		pl.MaxFollow = max(defaultMaxFollow, window)
	}
	if !written["poll.max_backoff"] {
		// Never below the 1s validate wants: a lookback too short for any backoff is
		// reported as such, not as a max_backoff the file does not set.
		pl.MaxBackoff = max(min(defaultMaxBackoff, window/2), Duration(time.Second))
	}
}

func (pl *Poll) validate(p *problems) {
	atLeast(p, "poll.gap_after", pl.GapAfter, 10*time.Second)
	atLeast(p, "poll.interval", pl.Interval.Duration, time.Second)
	if s := pl.AutoBudgetShare; !(s > 0 && s <= 1) { // NaN too
		p.add("poll.auto_budget_share", "must be more than 0 and at most 1 (a share of each access key's dcs.max_requests_per_second), got %v", s)
	}
	atLeast(p, "poll.active_interval", pl.ActiveInterval, 100*time.Millisecond)
	// Under "auto" a running task's polls come every min(active_interval, the idle
	// interval): active_interval is not judged against the 30s "auto" can reach.
	if pl.ActiveInterval > pl.Interval.Duration && pl.Interval.Duration >= Duration(time.Second) && !pl.Interval.Auto {
		p.add("poll.active_interval", "must not exceed poll.interval (%s > %s)", pl.ActiveInterval, pl.Interval)
	}
	// A fast_interval at or above active_interval simply never polls sooner: not an error,
	// so that lowering active_interval alone stays valid.
	if f := pl.FastInterval; f != 0 && f < Duration(250*time.Millisecond) {
		p.add("poll.fast_interval", "must be 0 (off) or at least 250ms, got %s", f)
	}
	atLeast(p, "poll.lookback", pl.Lookback, time.Minute)
	atLeast(p, "poll.safety_margin", pl.SafetyMargin, 0)
	atLeast(p, "poll.max_backoff", pl.MaxBackoff, time.Second)
	// Two polls can be as far apart as interval, or max_backoff after failures (plus the
	// failed requests themselves): a window shorter than twice that misses the tasks that
	// start and end between two polls.
	window := pl.Lookback + pl.SafetyMargin
	if gap := 2 * max(pl.Interval.Duration, pl.MaxBackoff); window < gap {
		p.add("poll.lookback", "poll.lookback + poll.safety_margin (%s) must be at least twice max(poll.interval, poll.max_backoff) = %s, "+
			"or tasks that start and end between two polls are missed", window, gap)
	}
	switch {
	case pl.MaxFollow <= 0:
		p.add("poll.max_follow", "must be positive, got %s", pl.MaxFollow)
	case pl.MaxFollow < window:
		// A task dropped sooner could still be in the window: listed again, it would be
		// announced as new.
		p.add("poll.max_follow", "must be at least poll.lookback + poll.safety_margin (%s), got %s", window, pl.MaxFollow)
	}
	oneOf(p, "poll.initial", pl.Initial, "baseline", "notify")
	if len(pl.TerminalStatuses) == 0 {
		p.add("poll.terminal_statuses", "must not be empty")
	}
	nonEmpty(p, "poll.terminal_statuses", pl.TerminalStatuses)
}
