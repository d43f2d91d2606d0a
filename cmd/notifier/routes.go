package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/route"
	"notifier/internal/silence"
)

// runRoutes shows where an event would go: one line per receiver, in the order of the
// configuration, saying which filter or window keeps it from those that do not get it.
func runRoutes(f *routesFlags, stdout, stderr io.Writer) int {
	at := time.Now()
	if f.at != "" {
		t, err := time.Parse(time.RFC3339, f.at)
		if err != nil {
			fmt.Fprintf(stderr, "notifier routes: --at %q is not an RFC 3339 time such as 2026-12-05T01:30:00Z\n", f.at)
			return exitUsage
		}
		at = t
	}
	if msg := f.checkKind(); msg != "" {
		fmt.Fprintln(stderr, "notifier routes: "+msg)
		return exitUsage
	}
	cfg, _, code := loadConfig("routes", f.config, stderr)
	if code != exitOK {
		return code
	}
	p, which, msg := pickProject(cfg, f.project, f.region)
	if msg != "" {
		fmt.Fprintln(stderr, "notifier routes: "+msg)
		return exitUsage
	}
	table, err := route.New(cfg)
	if err != nil {
		return fail(stderr, err)
	}
	e := f.event(cfg, p, at)
	fmt.Fprintf(stdout, "# %s: severity %s, project %s (%s, %s)\n", f.headline(), e.Data.Severity, projectText(p), p.Region, which)
	for _, note := range f.notes(&e, cfg.Poll.TerminalStatuses) {
		fmt.Fprintln(stdout, "# "+note)
	}
	showMutes(stdout, table.Windows(), at)
	set, src := routesSilences(cfg, f.config)
	showSilences(stdout, set, src, at)
	if set != nil {
		table = table.WithSilences(func() *silence.Set { return set })
	}
	verdicts := table.Decide(&e, at)
	if len(verdicts) == 0 {
		fmt.Fprintln(stdout, "# no receivers are configured")
	}
	filters := map[string]route.Filter{}
	for _, r := range table.Receivers() {
		filters[r.Name] = r.Filter
	}
	for _, v := range verdicts {
		line := explain(v, at)
		if skip := filters[v.Receiver].NotAsked(&e); v.Deliver && !v.MayResolve && len(skip) > 0 {
			line += fmt.Sprintf(" (%s not asked of %s: its event_types list %s)",
				strings.Join(skip, ", "), kindText(&e), event.ClassOf(e.Type))
		}
		fmt.Fprintf(stdout, "%s: %s\n", v.Receiver, line)
	}
	return exitOK
}

// explain says a receiver's verdict in a few words: "receives", "skipped, <the filter
// that refused>", "muted by <window> until <when>", and, for an on-call receiver given
// the event only because it may resolve an incident, "receives (...)" saying why; a
// silence's "silenced by ID (comment) until <when>".
func explain(v route.Verdict, at time.Time) string {
	held, _ := v.Held()
	muted, isMuted := v.Muted()
	switch {
	case !v.Deliver && held.Cause == route.Filtered:
		return "skipped, " + held.Detail
	case isMuted && v.MayResolve:
		return fmt.Sprintf("receives (%s: it %s, and opens none)", heldText(muted, at), route.ResolveNote)
	case isMuted:
		return heldText(muted, at)
	case v.MayResolve && held.Cause == route.Filtered:
		return "receives (" + route.ResolveNote + "; opens none: " + held.Detail + ")"
	case v.MayResolve:
		return "receives (" + route.ResolveNote + ")"
	}
	return "receives"
}

// showMutes prints one line per maintenance window: what it is, which receivers it
// mutes, and whether it is open at the moment at.
func showMutes(w io.Writer, windows []*route.Window, at time.Time) {
	for _, m := range windows {
		who := "every receiver but nats"
		if r := m.Receivers(); r != nil {
			who = strings.Join(r, ", ")
		}
		state := "not active"
		if open, until := m.Active(at); open {
			state = "ACTIVE until " + m.Until(until, at)
		}
		fmt.Fprintf(w, "# mute %s (%s): %s; %s\n", m.Name, who, m, state)
	}
}

// projectText is a project's id, and its name when it has one.
func projectText(p config.Project) string {
	if p.Name == "" {
		return p.ProjectID
	}
	return fmt.Sprintf("%s %q", p.ProjectID, p.Name)
}
