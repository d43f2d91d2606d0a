package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"notifier/internal/config"
	"notifier/internal/confkit"
	"notifier/internal/event"
	"notifier/internal/receiver"
	"notifier/internal/region"
)

// The event notifier routes builds from its flags.

// uuidRE is the form of a DCS instance id: --instance takes one as the id, anything else
// as the name.
var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// kind is the event type --event-type names, task by default.
func (f *routesFlags) kind() string {
	if f.eventType == "" {
		return event.ClassTask
	}
	return f.eventType
}

// checkKind says what is wrong with the flags for the kind of event, or "".
func (f *routesFlags) checkKind() string {
	k := f.kind()
	switch k {
	case event.ClassTask:
		if f.taskName == "" || f.status == "" {
			return "--task-name and --status are required (or --event-type stuck, gap or test)"
		}
	case event.ClassStuck:
		if f.taskName == "" {
			return "--task-name is required for a stuck event (--status defaults to RUNNING)"
		}
	case event.ClassGap, event.ClassTest:
		for _, fl := range [][2]string{{"--task-name", f.taskName}, {"--status", f.status}, {"--instance", f.instance}} {
			if fl[1] != "" {
				return fmt.Sprintf("%s: a %s event is about a project, not a task", fl[0], k)
			}
		}
	default:
		return fmt.Sprintf("--event-type %q is not one of %s%s", k, strings.Join(event.Classes(), ", "),
			confkit.DidYouMean(k, event.Classes()))
	}
	return ""
}

// headline names the event in the first line: "masterStandbySwapJob FAILED" for a task
// (as before --event-type existed), "stuck masterStandbySwapJob RUNNING", "gap", "test".
func (f *routesFlags) headline() string {
	switch f.kind() {
	case event.ClassTask:
		return f.taskName + " " + f.status
	case event.ClassStuck:
		return "stuck " + f.taskName + " " + f.stuckStatus()
	}
	return f.kind()
}

func (f *routesFlags) stuckStatus() string {
	if f.status == "" {
		return "RUNNING"
	}
	return f.status
}

// event builds the event the flags describe, in project p, detected at at.
func (f *routesFlags) event(cfg *config.Config, p config.Project, at time.Time) event.Event {
	var id, name string
	if f.instance != "" {
		if uuidRE.MatchString(f.instance) {
			id = f.instance
		} else {
			name = f.instance
		}
	}
	fields := map[string]string{"id": "routes", "name": f.taskName, "status": f.status}
	for k, v := range map[string]string{"instance_id": id, "instance_name": name} {
		if v != "" {
			fields[k] = v
		}
	}
	var e event.Event
	switch f.kind() {
	case event.ClassStuck:
		fields["status"] = f.stuckStatus()
		task, _ := json.Marshal(fields)
		e = event.NewStuck(event.Stuck{ProjectID: p.ProjectID, Region: p.Region, TaskID: "routes", TaskName: f.taskName,
			Status: f.stuckStatus(), Task: task, Running: cfg.Stuck.DefaultAfter.D(), Threshold: cfg.Stuck.DefaultAfter.D(),
			Source: event.ThresholdDefault, DetectedAt: at})
	case event.ClassGap:
		return event.NewGap(event.Gap{ProjectID: p.ProjectID, ProjectName: p.Name, Region: p.Region,
			BlindSince: at.Add(-cfg.Poll.GapAfter.D()), Reason: "notifier routes", DetectedAt: at})
	case event.ClassTest:
		return event.NewTest(p.Region, p.ProjectID, p.Name, at)
	default:
		task, _ := json.Marshal(fields)
		e = event.New(event.Transition{ProjectID: p.ProjectID, Region: p.Region, TaskID: "routes", TaskName: f.taskName,
			Status: f.status, Task: task, Seq: 1, DetectedAt: at})
	}
	e.Data.ProjectName = p.Name
	e.Data.InstanceID, e.Data.InstanceName = event.Instance(e.Data.Task)
	return e
}

// notes are what the first lines say about the event beyond its headline: suspect
// input, the instance, what a blind spot becomes.
func (f *routesFlags) notes(e *event.Event, terminal []string) []string {
	var out []string
	if f.taskName != "" && !event.IsKnownTaskName(f.taskName) {
		out = append(out, fmt.Sprintf("%q is not a task name the task center is known to use%s", f.taskName,
			confkit.DidYouMean(f.taskName, event.KnownTaskNames())))
	}
	known := event.KnownStatuses(terminal)
	switch {
	case f.status != "" && f.status != strings.ToUpper(f.status):
		out = append(out, fmt.Sprintf("%q is not upper case: the task center's statuses are", f.status))
	case f.status != "" && !slices.Contains(known, f.status):
		if dym := confkit.DidYouMean(f.status, known); dym != "" {
			out = append(out, fmt.Sprintf("%q is not a status the task center is known to use%s", f.status, dym))
		}
	}
	switch {
	case e.Data.InstanceID != "":
		out = append(out, fmt.Sprintf("instance id %s (--instance takes an instance's id, a UUID, or its name)", e.Data.InstanceID))
	case e.Data.InstanceName != "":
		out = append(out, fmt.Sprintf("instance name %q (--instance takes an instance's id, a UUID, or its name)", e.Data.InstanceName))
	}
	if e.Type == event.TypeGap {
		out = append(out, "a blind spot is warning at poll.gap_after, critical once escalated (6 × poll.gap_after)")
	}
	return out
}

// kindText names the kind of e in an explanation.
func kindText(e *event.Event) string {
	switch event.ClassOf(e.Type) {
	case event.ClassStuck:
		return "a stuck event"
	case event.ClassGap:
		return "a blind spot"
	}
	return "it"
}

// pickProject returns the project --project names (an id in any case, or a name of
// dcs.projects), else the first configured one (in --region when given), and how it was
// chosen; msg says why none fits. With [[dcs.discover]], an id or name not configured is
// taken as one a discovery may find.
func pickProject(cfg *config.Config, v, reg string) (p config.Project, which, msg string) {
	if reg != "" && !region.Known(reg) && !slices.ContainsFunc(cfg.DCS.Projects, func(p config.Project) bool { return p.Region == reg }) {
		var regions []string
		for _, p := range cfg.DCS.Projects {
			regions = append(regions, p.Region)
		}
		return p, "", fmt.Sprintf("--region: unknown region %q%s", reg, confkit.DidYouMean(reg, slices.Concat(regions, region.Names())))
	}
	for i, p := range cfg.DCS.Projects {
		switch {
		case v == "" && (reg == "" || p.Region == reg):
			if i == 0 && reg == "" {
				return p, "the first of dcs.projects; --project picks another", ""
			}
			return p, fmt.Sprintf("dcs.projects[%d], the first in %s; --project picks another", i, reg), ""
		case v != "" && (strings.EqualFold(p.ProjectID, v) || p.Name != "" && p.Name == v):
			if reg != "" && p.Region != reg {
				return p, "", fmt.Sprintf("--region %s: project %s is in %s", reg, v, p.Region)
			}
			return p, fmt.Sprintf("dcs.projects[%d]", i), ""
		}
	}
	if len(cfg.DCS.Discover) > 0 {
		// A discovered project is known only at run time: any id or name may be one.
		if reg == "" {
			reg = "cn-north-4"
		}
		switch {
		case v == "":
			return p, "", "--project is required: no project of dcs.projects fits, and a discovered one is known only at run time (name its id or name)"
		case receiver.IsProjectID(v):
			return config.Project{Region: reg, ProjectID: strings.ToLower(v)}, "a project [[dcs.discover]] may find", ""
		}
		return config.Project{Region: reg, ProjectID: strings.Repeat("0", 32), Name: v}, "a project [[dcs.discover]] may find by that name", ""
	}
	if v == "" {
		return p, "", fmt.Sprintf("--region %s: no project of dcs.projects is in it (configured: %s)", reg, projectList(cfg))
	}
	var known []string
	for _, p := range cfg.DCS.Projects {
		known = append(known, p.ProjectID)
		if p.Name != "" {
			known = append(known, p.Name)
		}
	}
	return p, "", fmt.Sprintf("--project %q is neither the id nor the name of a project in dcs.projects (configured: %s)%s",
		v, projectList(cfg), confkit.DidYouMean(v, known))
}

// projectList lists the configured projects: "0123… (prod-cn), fedc…".
func projectList(cfg *config.Config) string {
	var out []string
	for _, p := range cfg.DCS.Projects {
		s := p.ProjectID
		if p.Name != "" {
			s += " (" + p.Name + ")"
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}
