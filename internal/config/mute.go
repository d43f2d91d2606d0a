package config

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"notifier/internal/clock"
	"notifier/internal/receiver"

	// mute[].location names IANA zones: the zone database goes with the binary, so that a
	// window means the same on a host or image without one.
	_ "time/tzdata"
)

// Mute is one maintenance window ([[mute]]): while it is open, the events it matches are
// not sent to its receivers (NATS always gets them). It is either weekly (start and end,
// wall clock in location, on weekdays) or absolute (from and until, RFC 3339).
type Mute struct {
	Name      string   `toml:"name"`      // shown in Slack, notifier routes and the status page
	Receivers []string `toml:"receivers"` // empty: every receiver except NATS
	Weekdays  []string `toml:"weekdays"`  // lower-case English day names; empty: every day
	Start     string   `toml:"start"`     // "HH:MM" in location
	End       string   `toml:"end"`       // "HH:MM" in location; before start: ends the next day
	Location  string   `toml:"location"`  // IANA time zone name; empty: UTC
	From      string   `toml:"from"`      // RFC 3339, with until: an absolute window
	Until     string   `toml:"until"`
	// The filter, as a receiver's: only the events it passes are muted. Empty: all.
	MinSeverity string   `toml:"min_severity"`
	TaskNames   []string `toml:"task_names"`
	Statuses    []string `toml:"statuses"`
	Projects    []string `toml:"projects"`
}

// Weekly reports whether m is a weekly window (start and end) rather than an absolute one.
func (m *Mute) Weekly() bool { return m.From == "" && m.Until == "" }

var muteNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

func (c *Config) validateMutes(p *problems) {
	names := map[string]int{}
	receivers := map[string]bool{}
	for _, r := range c.Receivers() {
		if r.Name != NATSReceiver { // never muted
			receivers[r.Name] = true
		}
	}
	known := c.knownToFilters()
	for i := range c.Mute {
		m := &c.Mute[i]
		key := fmt.Sprintf("mute[%d]", i)
		switch j, dup := names[m.Name]; {
		case m.Name == "":
			p.add(key+".name", "required: a name such as \"weekly-maintenance\"")
		case !muteNameRE.MatchString(m.Name):
			p.add(key+".name", "%q must be 1 to 64 lower case letters, digits, - or _, starting with a letter or digit", m.Name)
		case dup:
			p.add(key+".name", "duplicate of mute[%d].name %q", j, m.Name)
		default:
			names[m.Name] = i
		}
		for j, r := range m.Receivers {
			switch {
			case r == NATSReceiver:
				p.add(fmt.Sprintf("%s.receivers[%d]", key, j), "NATS is never muted: it always gets every event")
			case !receivers[r]:
				p.add(fmt.Sprintf("%s.receivers[%d]", key, j), "unknown receiver %q (configured: %s)%s", r, configured(receivers),
					didYouMean(r, slices.Sorted(maps.Keys(receivers))))
			}
		}
		if m.Weekly() {
			m.validateWeekly(p, key)
		} else {
			m.validateAbsolute(p, key)
		}
		if m.MinSeverity != "" {
			oneOf(p, key+".min_severity", m.MinSeverity, "info", "warning", "critical")
		}
		nonEmpty(p, key+".task_names", m.TaskNames)
		nonEmpty(p, key+".statuses", m.Statuses)
		for j, n := range m.TaskNames {
			if err := receiver.CheckGlob(n); err != nil {
				p.add(fmt.Sprintf("%s.task_names[%d]", key, j), "%v", err)
			}
		}
		for j, v := range m.Projects {
			if !known.MayWatch(v) {
				p.add(fmt.Sprintf("%s.projects[%d]", key, j), "%s", known.UnknownProject(v))
			}
		}
	}
}

func (m *Mute) validateWeekly(p *problems, key string) {
	if m.Start == "" || m.End == "" {
		p.add(key, "set start and end (a weekly window) or from and until (an absolute one)")
	}
	var start, end int
	var errS, errE error
	if m.Start != "" {
		if start, errS = clock.Parse(m.Start, false); errS != nil {
			p.add(key+".start", "%v", errS)
		}
	}
	if m.End != "" {
		if end, errE = clock.Parse(m.End, true); errE != nil {
			p.add(key+".end", "%v", errE)
		}
	}
	if m.Start != "" && m.End != "" && errS == nil && errE == nil && start == end {
		p.add(key+".end", "must differ from start (%s): a window of no length (use \"24:00\" for the end of the day)", m.Start)
	}
	if _, err := clock.LoadLocation(m.Location); err != nil {
		p.add(key+".location", "%v", err)
	}
	for j, d := range m.Weekdays {
		if _, err := clock.ParseWeekday(d); err != nil {
			p.add(fmt.Sprintf("%s.weekdays[%d]", key, j), "%v", err)
		}
	}
}

func (m *Mute) validateAbsolute(p *problems, key string) {
	for _, k := range []struct{ name, v string }{{"start", m.Start}, {"end", m.End}, {"location", m.Location}} {
		if k.v != "" {
			p.add(key+"."+k.name, "set either start and end (weekly) or from and until (absolute), not both")
		}
	}
	if len(m.Weekdays) > 0 {
		p.add(key+".weekdays", "applies to a weekly window (start and end), not to from and until")
	}
	from, errF := parseInstant(p, key+".from", m.From)
	until, errU := parseInstant(p, key+".until", m.Until)
	if errF == nil && errU == nil && !until.After(from) {
		p.add(key+".until", "must be after from (%s), got %s", m.From, m.Until)
	}
}

func parseInstant(p *problems, key, v string) (time.Time, error) {
	if v == "" {
		p.add(key, "must be set (RFC 3339, such as \"2026-12-05T01:00:00Z\")")
		return time.Time{}, fmt.Errorf("unset")
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		p.add(key, "must be an RFC 3339 time such as \"2026-12-05T01:00:00Z\" or \"2026-12-05T09:00:00+08:00\", got %q", v)
	}
	return t, err
}

func configured(receivers map[string]bool) string {
	if len(receivers) == 0 {
		return "none"
	}
	return strings.Join(slices.Sorted(maps.Keys(receivers)), ", ")
}
