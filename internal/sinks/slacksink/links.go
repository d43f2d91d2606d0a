package slacksink

import (
	"fmt"
	"slices"
	"text/template"

	"github.com/slack-go/slack"

	"notifier/internal/event"
	"notifier/internal/linktmpl"
)

// Link is a compiled slack.links entry: a button on messages about a task.
type Link struct {
	text      string
	url       *template.Template
	taskNames []string
}

// NewLinks compiles slack.links; its errors name the key.
func NewLinks(ls []linktmpl.Link) ([]Link, error) {
	out := make([]Link, 0, len(ls))
	for i, l := range ls {
		t, err := linktmpl.Parse(l.URL)
		if err != nil {
			return nil, fmt.Errorf("slack.links[%d].url: %w", i, err)
		}
		out = append(out, Link{text: l.Text, url: t, taskNames: l.TaskNames})
	}
	return out, nil
}

// maxButtons is Slack's limit on the elements of one actions block.
const maxButtons = 25

// buttons renders the links that apply to e as an actions block, nil when none does: a
// link for other task names, or whose url uses a field e does not have, is left out.
func buttons(e *event.Event, taskID string, links []Link) slack.Block {
	d := &e.Data
	fields := map[string]string{
		"ProjectID": d.ProjectID, "ProjectName": d.ProjectName, "Region": d.Region, "TaskID": taskID,
		"TaskName": d.TaskName, "Status": d.Status, "InstanceID": d.InstanceID, "InstanceName": d.InstanceName,
	}
	var els []slack.BlockElement
	for i, l := range links {
		if len(els) == maxButtons {
			break
		}
		if len(l.taskNames) > 0 && !slices.Contains(l.taskNames, d.TaskName) {
			continue
		}
		u, ok := linktmpl.Expand(l.url, fields)
		if !ok {
			continue
		}
		text := clip(l.text, linktmpl.MaxText) // plain text, checked by config: no < or >
		b := slack.NewButtonBlockElement(fmt.Sprintf("link-%d", i), "", slack.NewTextBlockObject(slack.PlainTextType, text, false, false))
		b.URL = u
		els = append(els, b)
	}
	if len(els) == 0 {
		return nil
	}
	return slack.NewActionBlock("links", els...)
}
