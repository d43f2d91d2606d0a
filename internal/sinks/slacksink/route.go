package slacksink

import (
	"fmt"
	"strings"

	"notifier/internal/config"
	"notifier/internal/event"
)

// filter decides which events one webhook receives. A nil set lets every value through.
type filter struct {
	minRank  int
	names    set
	statuses set
	projects set
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

// newFilter builds the filter of webhook index i. An empty min_severity means info, as
// config.Load makes it.
func newFilter(i int, w config.Webhook) (filter, error) {
	sev := event.Info
	if w.MinSeverity != "" {
		var err error
		if sev, err = event.ParseSeverity(w.MinSeverity); err != nil {
			return filter{}, fmt.Errorf("slack.webhooks[%d].min_severity: %w", i, err)
		}
	}
	return filter{
		minRank:  sev.Rank(),
		names:    newSet(w.TaskNames, false),
		statuses: newSet(w.Statuses, false),
		projects: newSet(w.Projects, true),
	}, nil
}

// match reports whether e goes to the webhook: severity at least the minimum, and task
// name, status and project each in their list (exact, project ids without case).
func (f *filter) match(e *event.Event) bool {
	return e.Data.Severity.Rank() >= f.minRank &&
		f.names.allows(e.Data.TaskName) &&
		f.statuses.allows(e.Data.Status) &&
		f.projects.allows(strings.ToLower(e.Data.ProjectID))
}
