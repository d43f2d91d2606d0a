package dingtalk

import (
	"strings"

	"notifier/internal/sinks/chat"
)

// Body is what the robot is posted: markdown, or an actionCard when there are links.
type Body struct {
	MsgType    string      `json:"msgtype"`
	Markdown   *Markdown   `json:"markdown,omitempty"`
	ActionCard *ActionCard `json:"actionCard,omitempty"`
}

// Markdown is a markdown message: its title is what the notification shows.
type Markdown struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// ActionCard is a markdown card with link buttons.
type ActionCard struct {
	Title          string   `json:"title"`
	Text           string   `json:"text"`
	BtnOrientation string   `json:"btnOrientation"` // "0": buttons stacked
	Btns           []Button `json:"btns"`
}

// Button is a link button.
type Button struct {
	Title     string `json:"title"`
	ActionURL string `json:"actionURL"`
}

// colours are the heading's colour per outcome.
var colours = map[chat.Outcome]string{
	chat.Failed: "#D93026", chat.Gap: "#D93026", chat.Stuck: "#F08C00", chat.Running: "#1A73E8",
	chat.Succeeded: "#188038", chat.Restored: "#188038", chat.Ended: "#5F6368", chat.Test: "#8E24AA",
}

// NewBody is the message of m: a heading in the outcome's colour, then the facts as a
// list (or the template's body, or a digest's lines); an actionCard with a button per
// link when there are links.
func NewBody(m *chat.Message) Body {
	text := Text(m)
	if len(m.Links) == 0 {
		return Body{MsgType: "markdown", Markdown: &Markdown{Title: m.Title, Text: text}}
	}
	c := &ActionCard{Title: m.Title, Text: text, BtnOrientation: "0"}
	for _, l := range m.Links {
		c.Btns = append(c.Btns, Button{Title: l.Text, ActionURL: l.URL})
	}
	return Body{MsgType: "actionCard", ActionCard: c}
}

// Text is m in DingTalk's markdown.
func Text(m *chat.Message) string {
	var b strings.Builder
	b.WriteString("### <font color=\"" + colours[m.Outcome] + "\">" + escape(m.Title) + "</font>\n\n")
	switch {
	case m.Body != "":
		b.WriteString(m.Body + "\n")
	case m.Digest > 0:
		for _, l := range m.Lines {
			b.WriteString("- " + escape(l) + "\n")
		}
		b.WriteString("\nOne message for a burst of events, a line each.\n")
	default:
		for _, f := range m.Facts {
			b.WriteString("- **" + f.Name + ":** " + escape(f.Value) + "\n")
		}
	}
	// A robot that requires a keyword finds "DCS" in every message.
	b.WriteString("\n###### DCS notifier\n")
	return b.String()
}
