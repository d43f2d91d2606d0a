package alertmanager

import (
	"strings"

	"notifier/internal/event"
	"notifier/internal/msgtmpl"
)

// Style is what an Alertmanager receiver makes of a template (template, template_file):
// its "summary" and "description" annotations, in place of the built-in ones; labels stay
// the notifier's, as routing and silences match them.
var Style = &msgtmpl.Style{Parts: []string{"summary", "description"}, Mention: msgtmpl.PlainMention}

// The longest summary and description sent: PagerDuty's limit on a summary, which the
// built-in one keeps to, and four times it.
const (
	maxSummary     = 1024
	maxDescription = 4 * maxSummary
)

// shape puts the template's summary and description, when it gives them, on the
// annotations of the alert of e about the incident alert.
func (s *Sink) shape(ann map[string]string, e *event.Event, alert string) {
	if s.tmpl == nil {
		return
	}
	out := s.tmpl.Render(e, func(d *msgtmpl.Data) { d.Alert = alert })
	if v := out.Get("summary"); v != "" {
		if e.IsTest() && !strings.HasPrefix(v, "[TEST]") {
			v = "[TEST] " + v
		}
		ann["summary"] = msgtmpl.Cut(v, maxSummary)
	}
	if v := out.Get("description"); v != "" {
		ann["description"] = msgtmpl.Cut(v, maxDescription)
	}
}
