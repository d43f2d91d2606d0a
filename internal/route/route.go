// Package route decides who gets an event: Table.Decide weighs, for every receiver, its
// filter, the maintenance windows ([[mute]]) open at the moment, and the on-call rule (an
// on-call receiver still gets what may end an incident it opened), and says why for each.
// The decision is made once, when the event is committed, and recorded with it in the
// outbox: a receiver's queue holds only its own events, and a filter or window changed by
// a reload applies to events committed after it. once --render, notifier routes and
// test-notification ask the same Decide, so they cannot disagree with run.
package route

import (
	"fmt"
	"strings"

	"notifier/internal/config"
	"notifier/internal/event"
)

// Filter is what one receiver asks for. An empty list lets every value through.
type Filter struct {
	minSeverity event.Severity
	names       set
	statuses    set
	projects    set
}

type set map[string]struct{}

func newSet(vals []string, fold bool) set {
	if len(vals) == 0 {
		return nil
	}
	s := make(set, len(vals))
	for _, v := range vals {
		v = strings.TrimSpace(v)
		if fold {
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

// NewFilter builds the filter of a configured receiver. An empty min_severity is info.
func NewFilter(r config.Receiver) (Filter, error) {
	sev := event.Info
	if r.MinSeverity != "" {
		var err error
		if sev, err = event.ParseSeverity(r.MinSeverity); err != nil {
			return Filter{}, fmt.Errorf("%s.min_severity: %w", r.Key, err)
		}
	}
	return Filter{
		minSeverity: sev,
		names:       newSet(r.TaskNames, false),
		statuses:    newSet(r.Statuses, false),
		projects:    newSet(r.Projects, true),
	}, nil
}

// Match reports whether e goes to the receiver: severity at least the minimum, and task
// name, status and project each in their list (exact; project ids without case). When it
// does not, the reason says which filter refused it, e.g. "min_severity warning > info".
func (f Filter) Match(e *event.Event) (bool, string) {
	switch {
	case e.Data.Severity.Rank() < f.minSeverity.Rank():
		return false, fmt.Sprintf("min_severity %s > %s", f.minSeverity, e.Data.Severity)
	case !f.names.allows(e.Data.TaskName):
		return false, fmt.Sprintf("task_names %s do not include %q", f.names, e.Data.TaskName)
	case !f.statuses.allows(e.Data.Status):
		return false, fmt.Sprintf("statuses %s do not include %q", f.statuses, e.Data.Status)
	case !f.projects.allows(strings.ToLower(e.Data.ProjectID)):
		return false, fmt.Sprintf("projects %s do not include %s", f.projects, e.Data.ProjectID)
	}
	return true, ""
}

// String lists the set's values, sorted, for an explanation.
func (s set) String() string {
	vals := make([]string, 0, len(s))
	for v := range s {
		vals = append(vals, v)
	}
	sortStrings(vals)
	return "[" + strings.Join(vals, " ") + "]"
}
