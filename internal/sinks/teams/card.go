package teams

import (
	"strings"
	"time"

	"notifier/internal/event"
	"notifier/internal/incident"
	"notifier/internal/msgtmpl"
)

// Message is what a Teams Workflows webhook takes: a message whose one attachment is
// an Adaptive Card.
type Message struct {
	Type        string       `json:"type"` // "message"
	Attachments []Attachment `json:"attachments"`
}

// Attachment holds the card.
type Attachment struct {
	ContentType string  `json:"contentType"` // CardContentType
	ContentURL  *string `json:"contentUrl"`  // null, as Microsoft's examples send it
	Content     Card    `json:"content"`
}

// CardContentType is an Adaptive Card attachment's contentType.
const CardContentType = "application/vnd.microsoft.card.adaptive"

// Card is an Adaptive Card (version 1.4, what Teams renders).
type Card struct {
	Schema  string            `json:"$schema"`
	Type    string            `json:"type"` // "AdaptiveCard"
	Version string            `json:"version"`
	MSTeams map[string]string `json:"msteams,omitempty"`
	Body    []any             `json:"body"`
	Actions []Action          `json:"actions,omitempty"`
}

// TextBlock is a card's text element.
type TextBlock struct {
	Type     string `json:"type"` // "TextBlock"
	Text     string `json:"text"`
	Wrap     bool   `json:"wrap"`
	Weight   string `json:"weight,omitempty"` // Bolder
	Size     string `json:"size,omitempty"`   // Medium, Small
	Color    string `json:"color,omitempty"`  // Good, Warning, Attention, Accent
	IsSubtle bool   `json:"isSubtle,omitempty"`
	Spacing  string `json:"spacing,omitempty"`
}

// FactSet is a card's table of facts.
type FactSet struct {
	Type  string `json:"type"` // "FactSet"
	Facts []Fact `json:"facts"`
}

// Fact is one labelled value.
type Fact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// Action is a link button (Action.OpenUrl).
type Action struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

// maxActions is how many link buttons a card carries: Teams shows no more.
const maxActions = 6

// Message is the message e is posted as: a headline coloured by outcome, where it
// happened, the template's body, the facts, the footer and the link buttons.
func (s *Sink) Message(e *event.Event) Message {
	now := s.now()
	d := msgtmpl.NewData(e, msgtmpl.Env{Receiver: s.name, Statuses: s.st, Links: s.links, Now: now})
	headline, color := headlineOf(e, d)
	out := s.tmpl.Render(e)
	headline = out.Or("headline", headline)
	if e.IsTest() && !strings.HasPrefix(headline, "[TEST]") {
		headline = "[TEST] " + headline
	}
	body := []any{TextBlock{Type: "TextBlock", Text: headline, Wrap: true, Weight: "Bolder", Size: "Medium", Color: color}}
	if w := whereOf(d); w != "" {
		body = append(body, TextBlock{Type: "TextBlock", Text: w, Wrap: true, IsSubtle: true, Spacing: "None"})
	}
	if b := out.Get("body"); b != "" {
		body = append(body, TextBlock{Type: "TextBlock", Text: b, Wrap: true})
	}
	if f := facts(e, d); len(f) > 0 {
		body = append(body, FactSet{Type: "FactSet", Facts: f})
	}
	foot := "Event " + e.ID
	if !e.Data.DetectedAt.IsZero() {
		foot += " · detected " + e.Data.DetectedAt.UTC().Format(time.RFC3339)
	}
	body = append(body, TextBlock{Type: "TextBlock", Text: foot, Wrap: true, IsSubtle: true, Size: "Small"})
	card := Card{Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.4",
		MSTeams: map[string]string{"width": "Full"}, Body: body}
	for _, l := range d.Links {
		if len(card.Actions) == maxActions {
			break
		}
		card.Actions = append(card.Actions, Action{Type: "Action.OpenUrl", Title: l.Text, URL: l.URL})
	}
	return Message{Type: "message", Attachments: []Attachment{{ContentType: CardContentType, Content: card}}}
}

// headlineOf is the card's first line, in the words the other kinds use (event.Phrase,
// incident.Summary), and its colour: the outcome's.
func headlineOf(e *event.Event, d *msgtmpl.Data) (string, string) {
	x := &e.Data
	switch e.Type {
	case event.TypeTest:
		return "[TEST] Test notification from dcs-notifier: nothing needs doing", "Accent"
	case event.TypeGap:
		return incident.Summary(e, incident.Gap), severityColor(x.Severity)
	case event.TypeRestored:
		h := "Watching " + d.ProjectName + " (" + d.Region + ") again after " + d.Duration.String()
		if x.Complete != nil && *x.Complete {
			return h + ": nothing missed", "Good"
		}
		return h + ": changes during that time may have been missed", "Warning"
	case event.TypeStuck:
		return incident.Summary(e, incident.Stuck), severityColor(x.Severity)
	}
	label := d.Label
	if label == "" {
		label = "Task " + d.Status
	}
	switch d.Outcome {
	case event.OutcomeFailed.String():
		return label, "Attention"
	case event.OutcomeSucceeded.String():
		return label, "Good"
	case event.OutcomeEnded.String():
		return label + " · " + strings.ToLower(d.Status), "Default"
	}
	word := strings.ToLower(d.Status)
	if e.Type == event.TypeCreated && (d.Status == "RUNNING" || d.Status == "EXECUTING") || word == "" {
		word = "started"
	}
	return label + " · " + word, "Warning"
}

func severityColor(s event.Severity) string {
	if s == event.Critical {
		return "Attention"
	}
	return "Warning"
}

// whereOf names the instance, the project and the region.
func whereOf(d *msgtmpl.Data) string {
	var parts []string
	for _, p := range []string{d.Instance, d.ProjectName, d.Region} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " · ")
}

// facts are the event's facts that are set, as the other kinds show them: the task's
// API name (Task: masterStandbySwapJob), its status, the error code and message of a
// task that did not succeed, where, how long, and who started it.
func facts(e *event.Event, d *msgtmpl.Data) []Fact {
	x := &e.Data
	status := d.Status
	if d.PreviousStatus != "" && d.PreviousStatus != status {
		status += " (was " + d.PreviousStatus + ")"
	}
	if x.UnseenStatuses {
		status += " (started and ended between two polls)"
	}
	var f []Fact
	add := func(title, value string) {
		if strings.TrimSpace(value) != "" {
			f = append(f, Fact{Title: title, Value: value})
		}
	}
	switch e.Type {
	case event.TypeGap:
		if x.BlindSince != nil {
			add("Blind since", x.BlindSince.UTC().Format(time.RFC3339))
		}
		add("Cause", x.Reason)
	case event.TypeRestored:
		if x.BlindSince != nil && x.BlindUntil != nil {
			add("Blind", x.BlindSince.UTC().Format(time.RFC3339)+" to "+x.BlindUntil.UTC().Format(time.RFC3339))
		}
	default:
		add("Task", d.TaskName)
		add("Status", status)
		add("Error code", d.ErrorCode)
		add("Error", d.ErrorMessage)
		if d.InstanceName != "" && d.InstanceID != "" {
			add("Instance", d.InstanceName+" ("+d.InstanceID+")")
		} else {
			add("Instance", d.Instance)
		}
		if e.Type == event.TypeStuck {
			add("Running for", (time.Duration(x.RunningSeconds) * time.Second).String())
			add("Threshold", (time.Duration(x.ThresholdSeconds)*time.Second).String()+" ("+x.ThresholdSource+")")
		} else if d.Duration > 0 {
			add("Duration", d.Duration.String())
		}
		if u, ok := d.Task["user_name"].(string); ok {
			add("Started by", u)
		}
		add("Task id", d.TaskID)
	}
	add("Severity", d.Severity)
	add("Project", d.ProjectName)
	add("Project id", d.ProjectID)
	add("Region", d.Region)
	return f
}
