// Package linktmpl parses and expands the URL templates of link buttons (slack.links):
// runbooks, the console, dashboards, with the task's fields URL-escaped.
package linktmpl

import (
	"net/url"
	"strings"
	"text/template"
	"unicode"
)

// Link is a button on every Slack message about a task ([[slack.links]]): a runbook, the
// console, a dashboard. URL is a Go text/template over Fields, whose values are
// URL-escaped.
type Link struct {
	Text      string   `toml:"text"`       // the button's text, at most MaxText characters
	URL       string   `toml:"url"`        // e.g. "https://console.example.com/dcs/{{.InstanceID}}"
	TaskNames []string `toml:"task_names"` // empty: every task
}

// Fields are the values a link's url may use, each {{.Name}}.
var Fields = []string{"ProjectID", "ProjectName", "Region", "TaskID", "TaskName", "Status", "InstanceID", "InstanceName"}

// MaxText is Slack's limit on a button's text, and MaxURL on its url.
const (
	MaxText = 75
	MaxURL  = 3000
)

// Parse parses a link's url template. Executed with a map of the fields that have
// a value, a field that has none is an error: the link is then left out, not invented.
func Parse(raw string) (*template.Template, error) {
	return template.New("url").Option("missingkey=error").Parse(raw)
}

// Expand executes a link's url template with the fields that are set, URL-escaped,
// and returns the URL, or false when a field it uses is empty or the result is not an
// absolute http(s) URL within Slack's limit.
func Expand(t *template.Template, fields map[string]string) (string, bool) {
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
	if len(s) > MaxURL || !absoluteHTTP(s) || strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '<' || r == '>' || r == '|'
	}) {
		return "", false
	}
	return s, true
}

// absoluteHTTP reports whether s is an absolute http(s) URL with a host.
func absoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
