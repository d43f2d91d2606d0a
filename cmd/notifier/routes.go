package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/mute"
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
	mutes, err := mute.New(cfg)
	if err != nil {
		return fail(stderr, err)
	}
	showMutes(stdout, mutes, at)
	decisions := table.Explain(&e)
	if len(decisions) == 0 {
		fmt.Fprintln(stdout, "# no receivers are configured")
	}
	for _, d := range decisions {
		w, until := mutes.Mutes(d.Name, &e, at)
		switch {
		case !d.Match:
			fmt.Fprintf(stdout, "%s: skipped, %s\n", d.Name, d.Reason)
		case w != nil && table.MayResolve(d.Name, &e):
			fmt.Fprintf(stdout, "%s: receives (muted by %s until %s: it may resolve an incident it opened, and opens none)\n", d.Name, w.Name, w.Until(until, at))
		case w != nil:
			fmt.Fprintf(stdout, "%s: muted by %s until %s\n", d.Name, w.Name, w.Until(until, at))
		case d.Reason != "":
			fmt.Fprintf(stdout, "%s: receives (%s)\n", d.Name, d.Reason)
		default:
			fmt.Fprintf(stdout, "%s: receives\n", d.Name)
		}
	}
	return exitOK
}

// showMutes prints one line per maintenance window: what it is, which receivers it
// mutes, and whether it is open at the moment at.
func showMutes(w io.Writer, mutes *mute.Set, at time.Time) {
	for _, m := range mutes.Windows() {
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
