package incident

import (
	"fmt"
	"slices"
	"text/template"

	"notifier/internal/event"
	"notifier/internal/linktmpl"
)

// Link is a configured link ([[slack.links]]) expanded for one event.
type Link struct {
	Text string
	URL  string
}

// Links are the configured links, compiled.
type Links []compiled

type compiled struct {
	text      string
	url       *template.Template
	taskNames []string
}

// NewLinks compiles slack.links; its errors name the key.
func NewLinks(ls []linktmpl.Link) (Links, error) {
	out := make(Links, 0, len(ls))
	for i, l := range ls {
		t, err := linktmpl.Parse(l.URL)
		if err != nil {
			return nil, fmt.Errorf("slack.links[%d].url: %w", i, err)
		}
		out = append(out, compiled{text: l.Text, url: t, taskNames: l.TaskNames})
	}
	return out, nil
}

// For returns the links that apply to e, in the order of the config: one for another
// task name, or whose url uses a field e does not have, is left out, never invented.
func (ls Links) For(e *event.Event) []Link {
	d := &e.Data
	taskID := ""
	if isTask(e) {
		taskID = e.Subject
	}
	fields := map[string]string{
		"ProjectID": d.ProjectID, "ProjectName": d.ProjectName, "Region": d.Region, "TaskID": taskID,
		"TaskName": d.TaskName, "Status": d.Status, "InstanceID": d.InstanceID, "InstanceName": d.InstanceName,
	}
	var out []Link
	for _, l := range ls {
		if len(l.taskNames) > 0 && !slices.Contains(l.taskNames, d.TaskName) {
			continue
		}
		if u, ok := linktmpl.Expand(l.url, fields); ok {
			out = append(out, Link{Text: l.text, URL: u})
		}
	}
	return out
}
