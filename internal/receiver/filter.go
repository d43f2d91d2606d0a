package receiver

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"notifier/internal/event"
)

// Filter is what one receiver asks for. Every filter must pass an event (they AND); a
// list passes an event when one of its values does (they OR); an empty list passes
// every event.
//
// event_types names the kinds of event (event.ClassOf): task, stuck, gap, test. The
// filters about a task's transition, task_names, statuses and instances, are asked of
// what carries one; when event_types is set, listing a kind is asking for it:
//   - a stuck event is not asked statuses (a stuck task still runs: its status is not
//     an outcome), only task_names and instances;
//   - a blind spot (gap, restored) is about a project, not a task: it is asked none of
//     the three.
//
// Without event_types every filter is asked of every event, as before the key existed:
// an event without a task name, status or instance does not pass a list of them (a
// receiver with task_names gets no blind spot). A test event is asked event_types alone:
// it checks the way to the receiver, not its routing. task_names and instances are globs
// (path.Match: * any run of characters but /, ? one, [a-z] one of a class); projects
// match a project's id (without case) or its name (dcs.projects[].name, or the name a
// discovered project is given); regions are region ids.
type Filter struct {
	minSeverity event.Severity
	types       set
	names       globs
	statuses    set
	projects    set // ids lower-cased, names as written
	regions     set
	instances   globs
}

type set map[string]struct{}

// newSet builds the set of vals; fold lower-cases those that are project ids.
func newSet(vals []string, fold bool) set {
	if len(vals) == 0 {
		return nil
	}
	s := make(set, len(vals))
	for _, v := range vals {
		v = strings.TrimSpace(v)
		if fold && IsProjectID(v) {
			v = strings.ToLower(v)
		}
		s[v] = struct{}{}
	}
	return s
}

func (s set) allows(v string) bool {
	if s == nil {
		return true
	}
	_, ok := s[v]
	return ok
}

// String lists the set's values, sorted, for an explanation.
func (s set) String() string {
	vals := make([]string, 0, len(s))
	for v := range s {
		vals = append(vals, v)
	}
	slices.Sort(vals)
	return "[" + strings.Join(vals, " ") + "]"
}

// globs is a list of path.Match patterns; those without a special character are looked
// up as they are.
type globs struct {
	all      []string // every pattern as written (trimmed), sorted: nil passes everything
	exact    set
	patterns []string
}

// isGlob reports whether p has a character path.Match treats specially.
func isGlob(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// newGlobs compiles pats; an error names the pattern that is not one.
func newGlobs(pats []string) (globs, error) {
	var g globs
	for _, p := range pats {
		p = strings.TrimSpace(p)
		g.all = append(g.all, p)
		if !isGlob(p) {
			if g.exact == nil {
				g.exact = set{}
			}
			g.exact[p] = struct{}{}
			continue
		}
		if err := checkGlob(p); err != nil {
			return globs{}, err
		}
		g.patterns = append(g.patterns, p)
	}
	slices.Sort(g.all)
	return g, nil
}

// checkGlob says why p is not a valid pattern, or nil.
func checkGlob(p string) error {
	if _, err := path.Match(p, ""); err != nil {
		return fmt.Errorf("%q is not a valid glob (* any characters but /, ? one, [a-z] one of a class): %w", p, err)
	}
	return nil
}

// allows reports whether one of vs, each non-empty, matches a pattern; an empty value
// matches none (nothing is guessed), and nil globs pass everything.
func (g globs) allows(vs ...string) bool {
	if g.all == nil {
		return true
	}
	for _, v := range vs {
		if v == "" {
			continue
		}
		if _, ok := g.exact[v]; ok {
			return true
		}
		for _, p := range g.patterns {
			if ok, _ := path.Match(p, v); ok {
				return true
			}
		}
	}
	return false
}

func (g globs) String() string { return "[" + strings.Join(g.all, " ") + "]" }

// NewFilter builds the filter of the receiver configured at key. An empty min_severity is
// info. Its errors name the key: an unknown event type, a glob that is not one.
func NewFilter(key string, c Common) (Filter, error) {
	sev := event.Info
	if c.MinSeverity != "" {
		var err error
		if sev, err = event.ParseSeverity(c.MinSeverity); err != nil {
			return Filter{}, fmt.Errorf("%s.min_severity: %w", key, err)
		}
	}
	for j, t := range c.EventTypes {
		if !slices.Contains(event.Classes(), strings.TrimSpace(t)) {
			return Filter{}, fmt.Errorf("%s.event_types[%d]: %s", key, j, unknownType(t))
		}
	}
	names, err := newGlobs(c.TaskNames)
	if err != nil {
		return Filter{}, fmt.Errorf("%s.task_names: %w", key, err)
	}
	instances, err := newGlobs(c.Instances)
	if err != nil {
		return Filter{}, fmt.Errorf("%s.instances: %w", key, err)
	}
	return Filter{
		minSeverity: sev,
		types:       newSet(c.EventTypes, false),
		names:       names,
		statuses:    newSet(c.Statuses, false),
		projects:    newSet(c.Projects, true),
		regions:     newSet(c.Regions, false),
		instances:   instances,
	}, nil
}

// unknownType is the problem of an event_types value that is none.
func unknownType(t string) string {
	return fmt.Sprintf("unknown event type %q (valid: %s)", t, strings.Join(event.Classes(), ", ")) +
		didYouMean(t, event.Classes())
}

// asks says which of the task filters are asked of an event of kind class (see Filter).
func (f Filter) asks(class string) (task, status bool) {
	if f.types == nil {
		return true, true
	}
	switch class {
	case event.ClassGap:
		return false, false
	case event.ClassStuck:
		return true, false
	}
	return true, true
}

// NotAsked names the filters the receiver sets that are not asked of e because
// event_types lists its kind (see Filter), for an explanation: "statuses" for a stuck
// event; nil when every filter set is asked.
func (f Filter) NotAsked(e *event.Event) []string {
	class := event.ClassOf(e.Type)
	if class == event.ClassTest {
		return nil
	}
	task, status := f.asks(class)
	var out []string
	if !task && f.names.all != nil {
		out = append(out, "task_names")
	}
	if !status && f.statuses != nil {
		out = append(out, "statuses")
	}
	if !task && f.instances.all != nil {
		out = append(out, "instances")
	}
	return out
}

// Match reports whether e goes to the receiver (see Filter). When it does not, the
// reason says which filter refused it, e.g. "min_severity warning > info".
func (f Filter) Match(e *event.Event) (bool, string) {
	class := event.ClassOf(e.Type)
	if !f.types.allows(class) {
		return false, fmt.Sprintf("event_types %s do not include %s (%s)", f.types, orUnknown(class), e.Type)
	}
	if class == event.ClassTest {
		return true, ""
	}
	d := &e.Data
	task, status := f.asks(class)
	switch {
	case d.Severity.Rank() < f.minSeverity.Rank():
		return false, fmt.Sprintf("min_severity %s > %s", f.minSeverity, d.Severity)
	case task && !f.names.allows(d.TaskName):
		if d.TaskName == "" {
			return false, fmt.Sprintf("task_names %s: %s has no task name%s", f.names, what(class), f.hint(class, "task_names"))
		}
		return false, fmt.Sprintf("task_names %s do not include %q", f.names, d.TaskName)
	case status && !f.statuses.allows(d.Status):
		if d.Status == "" {
			return false, fmt.Sprintf("statuses %s: %s has no status%s", f.statuses, what(class), f.hint(class, "statuses"))
		}
		return false, fmt.Sprintf("statuses %s do not include %q%s", f.statuses, d.Status, f.hint(class, "statuses"))
	case !f.allowsProject(d):
		if d.ProjectName == "" {
			return false, fmt.Sprintf("projects %s do not include %s", f.projects, d.ProjectID)
		}
		return false, fmt.Sprintf("projects %s include neither %s nor its name %q", f.projects, d.ProjectID, d.ProjectName)
	case !f.regions.allows(d.Region):
		return false, fmt.Sprintf("regions %s do not include %q", f.regions, d.Region)
	case task && !f.instances.allows(d.InstanceID, d.InstanceName):
		if d.InstanceID == "" && d.InstanceName == "" {
			return false, fmt.Sprintf("instances %s: %s names no instance%s", f.instances, what(class), f.hint(class, "instances"))
		}
		return false, fmt.Sprintf("instances %s match neither instance id %q nor name %q", f.instances, d.InstanceID, d.InstanceName)
	}
	return true, ""
}

func (f Filter) allowsProject(d *event.Data) bool {
	return f.projects.allows(strings.ToLower(d.ProjectID)) || d.ProjectName != "" && f.projects.allows(d.ProjectName)
}

// hint says, for a stuck or gap event refused by the task filter key because event_types
// is not set, how to get it: with event_types set, the filter would not be asked.
func (f Filter) hint(class, key string) string {
	if f.types != nil {
		return ""
	}
	switch {
	case class == event.ClassStuck && key == "statuses":
		return " (a stuck task still runs; with event_types listing stuck, statuses are not asked of it)"
	case class == event.ClassGap:
		return " (a blind spot is about a project; with event_types listing gap, task filters are not asked of it)"
	}
	return ""
}

// what names an event of kind class in an explanation.
func what(class string) string {
	switch class {
	case event.ClassGap:
		return "a blind spot (gap) event"
	case event.ClassStuck:
		return "a stuck event"
	case event.ClassTask:
		return "the task"
	}
	return "the event"
}

func orUnknown(class string) string {
	if class == "" {
		return "an unknown type"
	}
	return class
}
