package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/route"
)

// runRoutes shows where an event of a task name and status would go: one line per
// receiver, in the order of the configuration.
func runRoutes(f *routesFlags, stdout, stderr io.Writer) int {
	given, name, status, projectID, atFlag := &f.config, &f.taskName, &f.status, &f.project, &f.at
	if *name == "" || *status == "" {
		fmt.Fprintln(stderr, "notifier routes: --task-name and --status are required")
		return exitUsage
	}
	at := time.Now()
	if *atFlag != "" {
		t, err := time.Parse(time.RFC3339, *atFlag)
		if err != nil {
			fmt.Fprintf(stderr, "notifier routes: --at %q is not an RFC 3339 time such as 2026-12-05T01:30:00Z\n", *atFlag)
			return exitUsage
		}
		at = t
	}
	cfg, _, code := loadConfig("routes", *given, stderr)
	if code != exitOK {
		return code
	}
	p, which, ok := pickProject(cfg, *projectID)
	if !ok {
		fmt.Fprintf(stderr, "notifier routes: --project %q is not in dcs.projects (configured: %s); with [[dcs.discover]] only, name a project id\n", *projectID, projectIDs(cfg))
		return exitUsage
	}
	table, err := route.New(cfg)
	if err != nil {
		return fail(stderr, err)
	}
	task, _ := json.Marshal(map[string]string{"name": *name, "status": *status})
	e := event.New(event.Transition{
		ProjectID: p.ProjectID, Region: p.Region, TaskID: "routes", TaskName: *name, Status: *status,
		Task: task, Seq: 1,
	})
	fmt.Fprintf(stdout, "# %s %s: severity %s, project %s (%s, %s)\n", *name, *status, e.Data.Severity, p.ProjectID, p.Region, which)
	if !event.IsKnownTaskName(*name) {
		fmt.Fprintf(stdout, "# %q is not a task name the task center is known to use\n", *name)
	}
	if *status != strings.ToUpper(*status) {
		fmt.Fprintf(stdout, "# %q is not upper case: the task center's statuses are\n", *status)
	}
	showMutes(stdout, table.Windows(), at)
	verdicts := table.Decide(&e, at)
	if len(verdicts) == 0 {
		fmt.Fprintln(stdout, "# no receivers are configured")
	}
	for _, v := range verdicts {
		fmt.Fprintf(stdout, "%s: %s\n", v.Receiver, explain(v, at))
	}
	return exitOK
}

// explain says a receiver's verdict in a few words: "receives", "skipped, <the filter
// that refused>", "muted by <window> until <when>", and, for an on-call receiver given
// the event only because it may resolve an incident, "receives (...)" saying why.
func explain(v route.Verdict, at time.Time) string {
	held, _ := v.Held()
	muted, isMuted := v.Muted()
	switch {
	case !v.Deliver && held.Cause == route.Filtered:
		return "skipped, " + held.Detail
	case isMuted && v.MayResolve:
		return fmt.Sprintf("receives (muted by %s until %s: it %s, and opens none)", muted.Name, muted.UntilText(at), route.ResolveNote)
	case isMuted:
		return fmt.Sprintf("muted by %s until %s", muted.Name, muted.UntilText(at))
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

// pickProject returns the configured project id (any case), or the first configured one
// when id is empty, and how it was chosen.
func pickProject(cfg *config.Config, id string) (config.Project, string, bool) {
	if id == "" && len(cfg.DCS.Projects) > 0 {
		return cfg.DCS.Projects[0], "the first of dcs.projects; --project picks another", true
	}
	for i, p := range cfg.DCS.Projects {
		if strings.EqualFold(p.ProjectID, id) {
			return p, fmt.Sprintf("dcs.projects[%d]", i), true
		}
	}
	if len(cfg.DCS.Discover) > 0 && len(id) == 32 {
		// A discovered project is known only at run time: any id may be one.
		return config.Project{Region: "cn-north-4", ProjectID: strings.ToLower(id)}, "a project [[dcs.discover]] may find", true
	}
	return config.Project{}, "", false
}

func projectIDs(cfg *config.Config) string {
	ids := make([]string, len(cfg.DCS.Projects))
	for i, p := range cfg.DCS.Projects {
		ids[i] = p.ProjectID
	}
	return strings.Join(ids, ", ")
}
