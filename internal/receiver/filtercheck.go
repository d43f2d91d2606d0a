package receiver

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"notifier/internal/confkit"
	"notifier/internal/event"
	"notifier/internal/region"
)

var projectIDRE = regexp.MustCompile(`^[0-9A-Fa-f]{32}$`)

// IsProjectID reports whether v is written as a project id (32 hex characters), not a
// project's name.
func IsProjectID(v string) bool { return projectIDRE.MatchString(v) }

// Known is what the values of a receiver's filter are checked against at load: the
// configuration's projects and regions.
type Known struct {
	ProjectIDs   []string // dcs.projects[].project_id, lower case
	ProjectNames []string // dcs.projects[].name, those set
	// Discover: [[dcs.discover]] entries exist, so a project id or name not in
	// dcs.projects may be one found at run time (a name is warned about by Lint).
	Discover bool
	// Regions are those of dcs.projects: one with an endpoint may be a region the SDK
	// does not know.
	Regions []string
}

// validateFilter checks the filter lists of the receiver at key: no empty value, event
// types and regions that exist, globs that parse, projects that may be watched. known
// nil checks the form alone.
func (c *Common) validateFilter(p *confkit.Problems, key string, known *Known) {
	for _, l := range []struct {
		name string
		vals []string
	}{{"event_types", c.EventTypes}, {"task_names", c.TaskNames}, {"statuses", c.Statuses},
		{"projects", c.Projects}, {"regions", c.Regions}, {"instances", c.Instances}} {
		p.NonEmpty(key+"."+l.name, l.vals)
	}
	at := func(list string, j int) string { return fmt.Sprintf("%s.%s[%d]", key, list, j) }
	for j, t := range c.EventTypes {
		if t != "" && !slices.Contains(event.Classes(), strings.TrimSpace(t)) {
			p.Add(at("event_types", j), "%s", unknownType(t))
		}
	}
	for _, l := range []struct {
		name string
		vals []string
	}{{"task_names", c.TaskNames}, {"instances", c.Instances}} {
		for j, v := range l.vals {
			if err := CheckGlob(v); err != nil {
				p.Add(at(l.name, j), "%v", err)
			}
		}
	}
	for j, r := range c.Regions {
		if r != "" && !region.Known(r) && (known == nil || !slices.Contains(known.Regions, r)) {
			var configured []string
			if known != nil {
				configured = known.Regions
			}
			p.Add(at("regions", j), "unknown region %q%s", r, didYouMean(r, slices.Concat(configured, region.Names())))
		}
	}
	if known == nil {
		return
	}
	for j, v := range c.Projects {
		if v != "" && !known.MayWatch(v) {
			p.Add(at("projects", j), "%s", known.UnknownProject(v))
		}
	}
}

// MayWatch reports whether v, a project id or name of a filter, may be a watched project.
func (k *Known) MayWatch(v string) bool {
	if IsProjectID(v) {
		return k.Discover || slices.Contains(k.ProjectIDs, strings.ToLower(v))
	}
	return k.Discover || slices.Contains(k.ProjectNames, v)
}

// UnknownProject is the problem of a filter's project v that MayWatch refuses.
func (k *Known) UnknownProject(v string) string {
	if IsProjectID(v) {
		return fmt.Sprintf("unknown project %q (not in dcs.projects)%s", v, didYouMean(v, k.ProjectIDs))
	}
	names := "none has a name"
	if len(k.ProjectNames) > 0 {
		names = "names: " + strings.Join(k.ProjectNames, ", ")
	}
	return fmt.Sprintf("unknown project %q: neither a project id nor the name of one in dcs.projects (%s)%s",
		v, names, didYouMean(v, slices.Concat(k.ProjectNames, k.ProjectIDs)))
}

// CheckGlob says why v, a value of task_names or instances, is not a valid glob; nil
// when it is one, or a plain name.
func CheckGlob(v string) error {
	if v = strings.TrimSpace(v); !isGlob(v) {
		return nil
	}
	return checkGlob(v)
}

// didYouMean is confkit.DidYouMean: `; did you mean "stuck"?` when a known value is close.
func didYouMean(v string, known []string) string { return confkit.DidYouMean(v, known) }
