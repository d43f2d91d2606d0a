package pagerduty

import (
	"strings"

	"notifier/internal/event"
	"notifier/internal/msgtmpl"
)

// Style is what a PagerDuty receiver makes of a template (template, template_file): its
// "summary", the incident's title (at most 1024 bytes, cut at a word with "…"), and its
// "details", lines of "key: value" added to custom_details beside the notifier's own
// keys, which they never replace.
var Style = &msgtmpl.Style{Parts: []string{"summary", "details"}, Mention: msgtmpl.PlainMention}

// maxSummary is PagerDuty's limit on payload.summary, in bytes.
const maxSummary = 1024

// shaped is what the template gives for a trigger of e about the incident alert: the
// summary (builtin when it gives none) and the custom_details to add.
func (s *Sink) shaped(e *event.Event, alert, builtin string) (summary string, details map[string]string) {
	if s.tmpl == nil {
		return builtin, nil
	}
	out := s.tmpl.Render(e, func(d *msgtmpl.Data) { d.Alert = alert })
	summary = out.Or("summary", builtin)
	if e.IsTest() && !strings.HasPrefix(summary, "[TEST]") {
		summary = "[TEST] " + summary
	}
	details, err := out.Fields("details")
	if err != nil {
		s.tmpl.Failed(e, err)
		details = nil
	}
	return msgtmpl.Cut(summary, maxSummary), details
}

// addDetails adds the template's details to custom_details m, never replacing a key the
// notifier sets.
func addDetails(m map[string]any, add map[string]string) {
	for k, v := range add {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
}
