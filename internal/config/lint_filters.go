package config

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"notifier/internal/event"
	"notifier/internal/receiver"
)

// lintReceiverFilter warns about what a receiver's filter lists beyond lintFilter's task
// names and statuses: a project name only a discovery may give, a glob that matches no
// known task name, a status close to a known one, a filter event_types leaves nothing to
// ask of.
func (c *Config) lintReceiverFilter(key string, f *receiver.Common) []Warning {
	ws := c.lintProjectNames(key, f.Projects)
	ws = append(ws, lintGlobs(key+".task_names", f.TaskNames)...)
	statuses := event.KnownStatuses(c.Poll.TerminalStatuses)
	for j, s := range f.Statuses {
		if up := strings.ToUpper(s); s == up && !slices.Contains(statuses, s) {
			if near := closest(s, statuses); near != "" {
				ws = append(ws, Warning{fmt.Sprintf("%s.statuses[%d]", key, j),
					fmt.Sprintf("%q is not a status the task center is known to use; did you mean %q?", s, near)})
			}
		}
	}
	if len(f.EventTypes) > 0 {
		task := slices.Contains(f.EventTypes, event.ClassTask)
		stuck := slices.Contains(f.EventTypes, event.ClassStuck)
		for _, l := range []struct {
			name  string
			set   bool
			asked bool
			by    string
		}{
			{"task_names", len(f.TaskNames) > 0, task || stuck, "task or stuck"},
			{"statuses", len(f.Statuses) > 0, task, "task"},
			{"instances", len(f.Instances) > 0, task || stuck, "task or stuck"},
		} {
			if l.set && !l.asked {
				ws = append(ws, Warning{key + "." + l.name, fmt.Sprintf(
					"is asked of no event: event_types %v lists no %s event, the only ones it is asked of", f.EventTypes, l.by)})
			}
		}
	}
	return ws
}

// lintProjectNames warns about a filter's project name that is not in dcs.projects: with
// [[dcs.discover]] it is valid (a discovered project is known only at run time), but
// matches nothing unless a project of that name is discovered.
func (c *Config) lintProjectNames(key string, projects []string) []Warning {
	var ws []Warning
	known := c.knownToFilters()
	for j, v := range projects {
		if receiver.IsProjectID(v) || slices.Contains(known.ProjectNames, v) || !known.Discover {
			continue // an id, a configured name, or an error of Validate
		}
		ws = append(ws, Warning{fmt.Sprintf("%s.projects[%d]", key, j), fmt.Sprintf(
			"%q is not the name of a project in dcs.projects: it matches only a project [[dcs.discover]] finds with that name (%s)%s",
			v, c.discoveredNames(), didYouMean(v, slices.Concat(known.ProjectNames, known.ProjectIDs)))})
	}
	return ws
}

// lintGlobs warns about a task-name glob that matches none of the known task names.
func lintGlobs(key string, names []string) []Warning {
	var ws []Warning
	known := event.KnownTaskNames()
	for j, g := range names {
		if !strings.ContainsAny(g, `*?[\`) {
			continue // an exact name: lintFilter's
		}
		matches := func(fold bool) bool {
			for _, n := range known {
				p, v := g, n
				if fold {
					p, v = strings.ToLower(g), strings.ToLower(n)
				}
				if ok, _ := path.Match(p, v); ok {
					return true
				}
			}
			return false
		}
		switch {
		case matches(false):
		case matches(true):
			ws = append(ws, Warning{fmt.Sprintf("%s[%d]", key, j),
				fmt.Sprintf("%q matches a known task name only without case, and globs are case-sensitive (known: %s)", g, strings.Join(known, ", "))})
		default:
			ws = append(ws, Warning{fmt.Sprintf("%s[%d]", key, j),
				fmt.Sprintf("%q matches no task name the task center is known to use (%s)", g, strings.Join(known, ", "))})
		}
	}
	return ws
}

// discoveredNames says what the projects [[dcs.discover]] finds are named.
func (c *Config) discoveredNames() string {
	var forms []string
	for _, d := range c.DCS.Discover {
		f := "the IAM project name, such as \"cn-north-4\""
		if d.Name != "" {
			f = fmt.Sprintf("%q", d.Name+"/<IAM project name>")
		}
		if !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	return "discovered projects are named " + strings.Join(forms, " or ")
}

// didYouMean is `; did you mean "x"?` when a value of known is close to v, else "".
func didYouMean(v string, known []string) string {
	if near := closest(v, known); near != "" {
		return fmt.Sprintf("; did you mean %q?", near)
	}
	return ""
}
