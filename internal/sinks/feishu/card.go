package feishu

import (
	"strings"

	"notifier/internal/sinks/chat"
)

// Card is an interactive card, as Feishu's message card schema (v1) has it.
type Card struct {
	Config   CardConfig `json:"config"`
	Header   Header     `json:"header"`
	Elements []Element  `json:"elements"`
}

// CardConfig lets the card use the chat's width.
type CardConfig struct {
	WideScreenMode bool `json:"wide_screen_mode"`
}

// Header is the card's title and colour.
type Header struct {
	Title    Text   `json:"title"`
	Template string `json:"template"` // red, orange, green, blue, grey...
}

// Text is a text object: plain_text or lark_md.
type Text struct {
	Tag     string `json:"tag"`
	Content string `json:"content"`
}

// Field is one fact in a div.
type Field struct {
	IsShort bool `json:"is_short"`
	Text    Text `json:"text"`
}

// Button is a link button.
type Button struct {
	Tag  string `json:"tag"` // button
	Text Text   `json:"text"`
	URL  string `json:"url"`
	Type string `json:"type"` // default, primary, danger
}

// Element is a div (text or fields), an action (buttons) or a note.
type Element struct {
	Tag      string   `json:"tag"`
	Text     *Text    `json:"text,omitempty"`
	Fields   []Field  `json:"fields,omitempty"`
	Actions  []Button `json:"actions,omitempty"`
	Elements []Text   `json:"elements,omitempty"`
}

// colours are the header's colour per outcome.
var colours = map[chat.Outcome]string{
	chat.Failed: "red", chat.Gap: "red", chat.Stuck: "orange", chat.Running: "blue",
	chat.Succeeded: "green", chat.Restored: "green", chat.Ended: "grey", chat.Test: "purple",
}

// maxTitle bounds the header's title: a card's title is one line.
const maxTitle = 200

// NewCard is the card of m: its title in the header, coloured by its outcome; its facts
// as fields (short ones two a row), or the template's body, or a digest's lines; its
// links as buttons.
func NewCard(m *chat.Message) Card {
	c := Card{Config: CardConfig{WideScreenMode: true},
		Header: Header{Title: Text{"plain_text", cut(m.Title, maxTitle)}, Template: colours[m.Outcome]}}
	switch {
	case m.Body != "":
		c.Elements = append(c.Elements, Element{Tag: "div", Text: &Text{"lark_md", m.Body}})
	case m.Digest > 0:
		lines := make([]string, len(m.Lines))
		for i, l := range m.Lines {
			lines[i] = "• " + escape(l)
		}
		c.Elements = append(c.Elements, Element{Tag: "div", Text: &Text{"lark_md", strings.Join(lines, "\n")}})
	default:
		var fs []Field
		for _, f := range m.Facts {
			short := f.Name != "Error message" && f.Name != "Last error" && len(f.Value) <= 60
			fs = append(fs, Field{IsShort: short, Text: Text{"lark_md", "**" + f.Name + "**\n" + escape(f.Value)}})
		}
		if len(fs) > 0 {
			c.Elements = append(c.Elements, Element{Tag: "div", Fields: fs})
		}
	}
	if len(c.Elements) == 0 {
		c.Elements = append(c.Elements, Element{Tag: "div", Text: &Text{"plain_text", m.Title}})
	}
	if len(m.Links) > 0 {
		a := Element{Tag: "action"}
		for _, l := range m.Links {
			a.Actions = append(a.Actions, Button{Tag: "button", Text: Text{"plain_text", l.Text}, URL: l.URL, Type: "default"})
		}
		c.Elements = append(c.Elements, a)
	}
	note := "DCS notifier"
	if m.Digest > 0 {
		note = "DCS notifier · one card for a burst of events, a line each, coloured by the worst"
	}
	c.Elements = append(c.Elements, Element{Tag: "note", Elements: []Text{{"plain_text", note}}})
	return c
}

// cut shortens s to n bytes on a rune boundary, with "…".
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n-3], "") + "…"
}
