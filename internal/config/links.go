package config

import (
	"fmt"
	"net/url"
	"strings"
	"text/template"
	"unicode"
	"unicode/utf8"
)

// Link is a button on every Slack message about a task: a runbook, the console, a
// dashboard. URL is a Go text/template over LinkFields, whose values are URL-escaped.
type Link struct {
	Text      string   `toml:"text"`       // the button's text, at most 75 characters
	URL       string   `toml:"url"`        // e.g. "https://console.example.com/dcs/{{.InstanceID}}"
	TaskNames []string `toml:"task_names"` // empty: every task
}

// LinkFields are the values a link's url may use, each {{.Name}}.
var LinkFields = []string{"ProjectID", "ProjectName", "Region", "TaskID", "TaskName", "Status", "InstanceID", "InstanceName"}

// MaxLinkText is Slack's limit on a button's text, and MaxLinkURL on its url.
const (
	MaxLinkText = 75
	MaxLinkURL  = 3000
)

// ParseLinkURL parses a link's url template. Executed with a map of the fields that have
// a value, a field that has none is an error: the link is then left out, not invented.
func ParseLinkURL(raw string) (*template.Template, error) {
	return template.New("url").Option("missingkey=error").Parse(raw)
}

// ExpandLink executes a link's url template with the fields that are set, URL-escaped,
// and returns the URL, or false when a field it uses is empty or the result is not an
// absolute http(s) URL within Slack's limit.
func ExpandLink(t *template.Template, fields map[string]string) (string, bool) {
	data := make(map[string]string, len(fields))
	for k, v := range fields {
		if v = strings.TrimSpace(v); v != "" {
			data[k] = strings.ReplaceAll(url.QueryEscape(v), "+", "%20")
		}
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", false
	}
	s := b.String()
	if len(s) > MaxLinkURL || checkURL(s, "https", "http") != "" || strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '<' || r == '>' || r == '|'
	}) {
		return "", false
	}
	return s, true
}

func (s *Slack) validateLinks(p *problems) {
	sample := map[string]string{}
	for _, f := range LinkFields {
		sample[f] = "x"
	}
	for i, l := range s.Links {
		key := fmt.Sprintf("slack.links[%d]", i)
		switch text := strings.TrimSpace(l.Text); {
		case text == "":
			p.add(key+".text", "must not be empty")
		case utf8.RuneCountInString(l.Text) > MaxLinkText:
			p.add(key+".text", "must be at most %d characters (Slack's limit on a button), got %d", MaxLinkText, utf8.RuneCountInString(l.Text))
		case strings.ContainsAny(l.Text, "<>") || strings.ContainsFunc(l.Text, unicode.IsControl):
			p.add(key+".text", "must not contain <, > or control characters")
		}
		nonEmpty(p, key+".task_names", l.TaskNames)
		t, err := ParseLinkURL(l.URL)
		switch {
		case strings.TrimSpace(l.URL) == "":
			p.add(key+".url", "must not be empty")
		case err != nil:
			p.add(key+".url", "not a valid template: %v", err)
		default:
			var b strings.Builder
			if err := t.Execute(&b, sample); err != nil {
				p.add(key+".url", "uses a field that does not exist (the fields are %s): %v", strings.Join(LinkFields, ", "), err)
			} else if _, ok := ExpandLink(t, sample); !ok {
				p.add(key+".url", "does not give an absolute http(s) URL without spaces (with every field set to \"x\": %q)", b.String())
			}
		}
	}
}
