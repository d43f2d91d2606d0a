package smn

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"notifier/internal/event"
	"notifier/internal/msgtmpl"
)

// Style is what an SMN receiver makes of a template (template, template_file): its
// "subject" (the email subject, at most 512 bytes), its "body" (the full text of the
// default and email messages) and its "sms" (the short text of SMS subscribers). HTTP and
// HTTPS subscribers always get the CloudEvent itself.
var Style = &msgtmpl.Style{Parts: []string{"subject", "body", "sms"}, Mention: msgtmpl.PlainMention}

// SMN's limits (PublishMessage): subject at most 512 bytes; a message at most 256 KB;
// an SMS past 490 characters may be blocked by the carrier, and may not hold [] or 【】.
const (
	MaxSubject = 512
	MaxMessage = 256 << 10
	MaxSMS     = 490
)

// message is one event as SMN is asked to publish it.
type message struct {
	Subject   string
	Structure map[string]string // protocol → text: default, email, sms, http, https
}

// compose builds the message for e: the built-in texts, or the template's parts where it
// gives them, each cut to SMN's limits. An event whose CloudEvent alone passes the
// message limit is an error: SMN would refuse it every time.
func (s *Sink) compose(e *event.Event) (message, error) {
	d := msgtmpl.NewData(e, msgtmpl.Env{Receiver: s.name, Statuses: s.st, Now: s.now()})
	subject, body, sms := headline(d), fullText(d), shortText(d)
	if s.tmpl != nil {
		out := s.tmpl.Render(e)
		subject, body, sms = out.Or("subject", subject), out.Or("body", body), out.Or("sms", sms)
	}
	if e.IsTest() && !strings.HasPrefix(subject, "[TEST]") {
		subject = "[TEST] " + subject
	}
	ce, err := json.Marshal(e)
	if err != nil {
		return message{}, fmt.Errorf("event %s: %w", e.ID, err)
	}
	if len(ce) > MaxMessage {
		return message{}, fmt.Errorf("event %s: its CloudEvent is %d bytes, past SMN's message limit of %d", e.ID, len(ce), MaxMessage)
	}
	body = msgtmpl.Cut(body, MaxMessage)
	sms = smsSafe(sms)
	return message{Subject: msgtmpl.Cut(oneLine(subject), MaxSubject), Structure: map[string]string{
		"default": body, "email": body, "sms": sms, "http": string(ce), "https": string(ce)}}, nil
}

// headline is the built-in subject.
func headline(d *msgtmpl.Data) string {
	where := d.ProjectName
	if d.Region != "" {
		where += " (" + d.Region + ")"
	}
	switch d.Kind {
	case "gap":
		return "DCS notifier cannot read project " + where
	case "restored":
		return "DCS notifier reads project " + where + " again"
	case "test":
		return "DCS notifier test notification for " + d.Receiver
	}
	label := d.Label
	if label == "" {
		label = "DCS task " + d.Status
	}
	if d.Kind == "stuck" {
		label += fmt.Sprintf(" stuck, still %s after %s", d.Status, d.Duration.Round(time.Second))
	}
	if d.Instance != "" {
		label += " on " + d.Instance
	}
	return "DCS: " + label + " in " + where
}

// fullText is the built-in text of the default and email messages: the headline, then a
// fact a line.
func fullText(d *msgtmpl.Data) string {
	var b strings.Builder
	b.WriteString(headline(d) + "\n\n")
	fact := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	fact("Task", strings.TrimSpace(d.TaskName+" "+d.TaskID))
	status := d.Status
	if d.PreviousStatus != "" && status != "" {
		status = d.PreviousStatus + " -> " + status
	}
	fact("Status", status)
	fact("Instance", d.Instance)
	if d.InstanceID != "" && d.InstanceID != d.Instance {
		fact("Instance id", d.InstanceID)
	}
	fact("Project", d.ProjectName)
	if d.ProjectID != d.ProjectName {
		fact("Project id", d.ProjectID)
	}
	fact("Region", d.Region)
	fact("Severity", d.Severity)
	fact("Error", strings.TrimSpace(d.ErrorCode+" "+d.ErrorMessage))
	if d.Duration > 0 {
		k := "Duration"
		if d.Kind == "gap" || d.Kind == "restored" {
			k = "Not read for"
		}
		fact(k, d.Duration.Round(time.Second).String())
	}
	fact("Maintenance window", d.Mute)
	for _, l := range d.Links {
		fact(l.Text, l.URL)
	}
	fact("Event", d.ID)
	fact("Seen at", d.Time.UTC().Format(time.RFC3339))
	return strings.TrimRight(b.String(), "\n")
}

// shortText is the built-in SMS: the headline, which says the outcome, the instance and
// the project.
func shortText(d *msgtmpl.Data) string { return headline(d) }

// smsSafe is s as an SMS may carry it: on one line, without the brackets SMN refuses
// ([] and 【】), at most MaxSMS characters.
func smsSafe(s string) string {
	s = strings.NewReplacer("[", "(", "]", ")", "【", "(", "】", ")").Replace(oneLine(s))
	if r := []rune(s); len(r) > MaxSMS {
		s = string(r[:MaxSMS-1]) + "…"
	}
	return s
}

// oneLine joins the lines of s with spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// fit is m as the JSON string message_structure is, within SMN's message limit: the
// full text (default, email) is cut to make room; the CloudEvent never is.
func fit(m map[string]string) (string, error) {
	for range 4 {
		b, err := json.Marshal(m)
		if err != nil {
			return "", err
		}
		over := len(b) - MaxMessage
		if over <= 0 {
			return string(b), nil
		}
		body := msgtmpl.Cut(m["default"], max(len(m["default"])-over/2-64, 0))
		m["default"], m["email"] = body, body
	}
	return "", fmt.Errorf("message_structure past SMN's limit of %d bytes", MaxMessage)
}
