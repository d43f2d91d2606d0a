package config

import (
	"fmt"
	"slices"
	"strings"

	"notifier/internal/confkit"
	"notifier/internal/event"
	"notifier/internal/receiver"
)

// Warning is something valid in the configuration that is almost certainly not what was
// meant: a filter that can never match what the task center sends, or terminal statuses
// that leave failures or successes unfinished.
type Warning struct {
	Key     string // the key it is about, with indices: slack.webhooks[0].statuses[1]
	Message string
}

// String returns "key: message".
func (w Warning) String() string { return w.Key + ": " + w.Message }

// Lint returns the warnings about c, in the order of the keys in the file. It reads
// nothing outside c; the known task names are event.KnownTaskNames.
func (c *Config) Lint() []Warning {
	var ws []Warning
	if !c.Poll.Interval.Auto && c.Poll.AutoBudgetShare != DefaultAutoBudgetShare {
		ws = append(ws, Warning{"poll.auto_budget_share", fmt.Sprintf(
			"is set while poll.interval is %s, not \"auto\": it has no effect", c.Poll.Interval)})
	}
	st := event.NewStatuses(c.Poll.TerminalStatuses)
	for _, want := range []struct{ status, why string }{
		{"FAILED", "a failed task is shown as still running and followed until poll.max_follow"},
		{"SUCCESS", "a finished task is shown as still running and followed until poll.max_follow"},
	} {
		if !st.IsTerminal(want.status) {
			ws = append(ws, Warning{"poll.terminal_statuses", fmt.Sprintf("does not include %s: %s", want.status, want.why)})
		}
	}
	for _, e := range c.Entries() {
		if e.Info().Name != "" {
			continue // a kind of one table (NATS) has no filter
		}
		key, f := e.Key(), e.Common()
		ws = append(ws, lintFilter(key, f.TaskNames, f.Statuses)...)
		ws = append(ws, c.lintReceiverFilter(key, f)...)
		// An on-call receiver gets what ends its incidents whatever its filter: never nothing.
		if msg := unreachableSeverity(f); msg != "" && !e.Info().Incidents {
			ws = append(ws, Warning{key, msg})
		}
	}
	for i, m := range c.Mute {
		ws = append(ws, lintFilter(fmt.Sprintf("mute[%d]", i), m.TaskNames, m.Statuses)...)
		ws = append(ws, c.lintProjectNames(fmt.Sprintf("mute[%d]", i), m.Projects)...)
	}
	if len(c.DCS.Discover) > 1 {
		for i, d := range c.DCS.Discover {
			if d.Name == "" {
				ws = append(ws, Warning{fmt.Sprintf("dcs.discover[%d].name", i),
					"is empty while several accounts are discovered: their projects of one region get the same name (cn-north-4) in alerts"})
			}
		}
	}
	if c.HTTP.EnableLifecycle && c.HTTP.Listen == "" {
		ws = append(ws, Warning{"http.enable_lifecycle",
			"is true while http.listen is empty: there is no POST /-/reload to turn on (SIGHUP reloads either way)"})
	}
	return ws
}

// lintFilter warns about the task names and statuses of a filter that can never match.
func lintFilter(key string, names, statuses []string) []Warning {
	var ws []Warning
	for j, name := range names {
		if event.IsKnownTaskName(name) || strings.ContainsAny(name, `*?[\`) {
			continue // a glob: lintGlobs's
		}
		if near := closest(name, event.KnownTaskNames()); near != "" {
			ws = append(ws, Warning{fmt.Sprintf("%s.task_names[%d]", key, j),
				fmt.Sprintf("%q is not a task name the task center uses, so it never matches; did you mean %q?", name, near)})
		}
	}
	for j, s := range statuses {
		if up := strings.ToUpper(s); s != up {
			ws = append(ws, Warning{fmt.Sprintf("%s.statuses[%d]", key, j),
				fmt.Sprintf("%q never matches: the task center's statuses are upper case (did you mean %q?)", s, up)})
		}
	}
	return ws
}

// unreachableSeverity says why no event can pass both the receiver's statuses and its
// min_severity, or returns "". Severity depends on the task name and the status alone
// (event.SeverityOf); any task name but the switchover's rates like any other.
func unreachableSeverity(w *receiver.Common) string {
	if len(w.Statuses) == 0 {
		return "" // FAILED passes, and it is critical
	}
	minSev, err := event.ParseSeverity(w.MinSeverity)
	if err != nil || minSev == event.Info {
		return ""
	}
	if slices.Contains(w.EventTypes, event.ClassStuck) || slices.Contains(w.EventTypes, event.ClassGap) {
		return "" // not asked statuses, and critical once escalated or a stuck switchover
	}
	names := w.TaskNames
	if len(names) == 0 || slices.ContainsFunc(names, func(n string) bool { return strings.ContainsAny(n, `*?[\`) }) {
		names = []string{event.SwitchoverTask, "EXTEND"} // a glob may match either
	}
	for _, n := range names {
		for _, s := range w.Statuses {
			if s != strings.ToUpper(s) {
				continue // never matches at all, as its own warning says
			}
			if event.SeverityOf(n, s).Rank() >= minSev.Rank() {
				return ""
			}
		}
	}
	return fmt.Sprintf("min_severity %s with statuses %v: no such event is ever %s, so this receiver gets nothing",
		minSev, w.Statuses, minSev)
}

// closest returns the name in known that name was most likely meant to be, or "" (see
// confkit.Closest).
func closest(name string, known []string) string { return confkit.Closest(name, known) }
