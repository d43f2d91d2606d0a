package probe

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"notifier/internal/config"
)

// advise returns the configuration lines the probe's findings call for.
func advise(cfg *config.Config, ps []*ProjectReport) []string {
	lines := []string{"[dcs]"}
	uses, checked, newStatuses := map[string]bool{}, 0, map[string]bool{}
	pageCap := 0
	for _, p := range ps {
		if p.Window != nil {
			checked++
			if p.Window.Use != "" {
				uses[p.Window.Use] = true
			}
		}
		if p.PageCap > 0 && p.PageCap < cfg.DCS.PageSize && (pageCap == 0 || p.PageCap < pageCap) {
			pageCap = p.PageCap
		}
		if p.Recent != nil {
			for _, s := range p.Recent.Statuses {
				if s.New {
					newStatuses[s.Value] = true
				}
			}
		}
	}
	configured := cfg.DCS.StartTimeParam
	switch use := slices.Sorted(maps.Keys(uses)); {
	case checked == 0:
		lines = append(lines, fmt.Sprintf("start_time_param = %q  # not checked: too few tasks, or no answer", configured))
	case len(use) == 1:
		line := fmt.Sprintf("start_time_param = %q", use[0])
		switch {
		case configured == "auto":
			line += `  # "auto" finds it too, at the first poll that sees the window ignored`
		case use[0] != configured:
			line += fmt.Sprintf("  # was %q, which the API ignores", configured)
		}
		lines = append(lines, line)
	case len(use) == 0:
		lines = append(lines, fmt.Sprintf("start_time_param = %q  # neither name filters: every poll reads the whole history", configured))
	default:
		lines = append(lines, fmt.Sprintf("# start_time_param: the projects disagree (%s): probe them one by one with --project", strings.Join(use, ", ")))
	}
	if pageCap > 0 {
		lines = append(lines, fmt.Sprintf("page_size = %d  # the API serves at most %d tasks a page", pageCap, pageCap))
	}
	if len(newStatuses) > 0 {
		lines = append(lines, "", "[poll]",
			fmt.Sprintf("# new statuses seen: %s; add the final ones to terminal_statuses (now %s)",
				strings.Join(slices.Sorted(maps.Keys(newStatuses)), ", "), strings.Join(cfg.Poll.TerminalStatuses, ", ")))
	}
	return lines
}

// WriteText prints the report for people: a block per project, then the configuration lines.
func (r *Report) WriteText(w io.Writer) {
	for _, d := range r.Discovery {
		d.writeText(w)
		fmt.Fprintln(w)
	}
	for _, s := range r.Problems {
		fmt.Fprintf(w, "problem: %s\n\n", s)
	}
	for _, p := range r.Projects {
		p.writeText(w)
		fmt.Fprintln(w)
	}
	writeReceivers(w, r.Receivers)
	verdict := "usable"
	if !r.Usable {
		verdict = "NOT usable as configured: see the problems above"
	}
	fmt.Fprintf(w, "# %s\n# configuration to use:\n", verdict)
	for _, l := range r.ConfigLines {
		fmt.Fprintln(w, l)
	}
}

func (p *ProjectReport) writeText(w io.Writer) {
	name := p.Region
	if p.Name != "" {
		name = p.Name + ", " + p.Region
	}
	verdict := "usable"
	if !p.Usable {
		verdict = "NOT usable"
	}
	if p.DiscoveredBy != "" {
		name += ", found by " + p.DiscoveredBy
	}
	fmt.Fprintf(w, "project %s (%s) at %s: %s\n", p.ProjectID, name, p.Endpoint, verdict)
	row := func(k, v string) { fmt.Fprintf(w, "  %-14s %s\n", k, v) }
	row("reachable", yesNo(p.Reachable)+fmt.Sprintf(", %.1f ms", p.RTTMillis))
	row("tls", p.TLS)
	row("credential", p.Credential)
	if p.Reachable && p.Credential == "accepted" {
		complete := "complete"
		if !p.Complete {
			complete = "first pages only"
		}
		row("tasks", fmt.Sprintf("%d listed (%s)", p.Tasks, complete))
		row("order", p.Order)
		row("limit", "honoured: "+p.LimitHonoured)
		row("offset", "honoured: "+p.OffsetHonoured)
		if p.PageCap > 0 {
			row("page cap", fmt.Sprintf("%d tasks a page, whatever limit asks", p.PageCap))
		}
		row("task_count", p.TaskCount)
		p.writeWindow(row)
		row("time formats", formats(p.TimeFormats))
		if c := p.Recent; c != nil {
			row("last 30 days", fmt.Sprintf("%d tasks", c.Tasks))
			row("  names", list(c.Names))
			row("  statuses", list(c.Statuses))
		}
	}
	if p.Throttled == 0 {
		row("throttling", "none")
	} else {
		row("throttling", fmt.Sprintf("%d answer(s), each retried: %s", p.Throttled, p.Throttle))
	}
	for _, s := range p.Problems {
		fmt.Fprintf(w, "  problem: %s\n", s)
	}
	for _, s := range p.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", s)
	}
}

func (p *ProjectReport) writeWindow(row func(k, v string)) {
	if p.Window == nil {
		row("window", "not checked")
		return
	}
	for _, name := range windowParams {
		v := p.Window.Verdicts[name]
		if d := p.Window.Details[name]; d != "" {
			v += ": " + d
		}
		row(name, v)
	}
	row("window on", p.Window.FiltersOn)
}

func yesNo(b bool) string {
	if b {
		return Yes
	}
	return No
}

func formats(m map[string]int) string {
	if len(m) == 0 {
		return "none seen"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, m[k]))
	}
	return strings.Join(parts, "; ")
}

func list(cs []Count) string {
	if len(cs) == 0 {
		return "none"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s %d", c.Value, c.Count)
		if c.New {
			parts[i] += " (new)"
		}
	}
	return strings.Join(parts, ", ")
}
