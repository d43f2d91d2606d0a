package config

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"notifier/internal/linktmpl"
)

// Link is a button on every Slack message about a task (slack.links): linktmpl's, which
// the receivers that expand links read.
type Link = linktmpl.Link

func (s *Slack) validateLinks(p *problems) {
	sample := map[string]string{}
	for _, f := range linktmpl.Fields {
		sample[f] = "x"
	}
	for i, l := range s.Links {
		key := fmt.Sprintf("slack.links[%d]", i)
		switch text := strings.TrimSpace(l.Text); {
		case text == "":
			p.add(key+".text", "must not be empty")
		case utf8.RuneCountInString(l.Text) > linktmpl.MaxText:
			p.add(key+".text", "must be at most %d characters (Slack's limit on a button), got %d", linktmpl.MaxText, utf8.RuneCountInString(l.Text))
		case strings.ContainsAny(l.Text, "<>") || strings.ContainsFunc(l.Text, unicode.IsControl):
			p.add(key+".text", "must not contain <, > or control characters")
		}
		nonEmpty(p, key+".task_names", l.TaskNames)
		t, err := linktmpl.Parse(l.URL)
		switch {
		case strings.TrimSpace(l.URL) == "":
			p.add(key+".url", "must not be empty")
		case err != nil:
			p.add(key+".url", "not a valid template: %v", err)
		default:
			var b strings.Builder
			if err := t.Execute(&b, sample); err != nil {
				p.add(key+".url", "uses a field that does not exist (the fields are %s): %v", strings.Join(linktmpl.Fields, ", "), err)
			} else if _, ok := linktmpl.Expand(t, sample); !ok {
				p.add(key+".url", "does not give an absolute http(s) URL without spaces (with every field set to \"x\": %q)", b.String())
			}
		}
	}
}
