package slacksink

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Slack's limits that a message must respect to be accepted.
const (
	maxText   = 3000 // characters in one text object
	maxField  = 2000 // characters in one section field
	maxFields = 10   // fields in one section
	maxBlocks = 50   // blocks in one message
	maxValue  = 300  // bytes of one API value before escaping, our own bound
)

// truncMarker ends every text that was cut, so a reader knows something is missing.
const truncMarker = "… (truncated)"

// escape makes s safe as mrkdwn: &, < and > become entities, so no value can form a
// mention (<!channel>, <@U123>, <#C123>) or a link (<https://evil|click>). Invalid
// UTF-8 becomes U+FFFD; control characters (a newline would let a value forge a line of
// its own) become spaces.
func escape(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// value is escape for one value from the API shown inline: clipped to maxValue bytes
// first, so a huge field cannot crowd out the rest of the message.
func value(s string) string {
	return escape(clip(strings.TrimSpace(s), maxValue))
}

// code is value inside backticks, for ids. A backtick in s would end the span early, so
// it becomes a quote.
func code(s string) string {
	v := value(strings.ReplaceAll(s, "`", "'"))
	if v == "" {
		return ""
	}
	return "`" + v + "`"
}

// clip cuts raw (unescaped) s to at most n bytes on a rune boundary, ending with "…"
// when it was cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// limit cuts escaped mrkdwn s to at most n bytes (so at most n characters), never inside
// a rune or an entity such as &amp;, and adds truncMarker when it cut.
func limit(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := max(n-len(truncMarker), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	// An entity is at most 5 bytes (&amp;): an '&' in the last 4 bytes kept, with no ';'
	// after it, starts an entity the cut would break.
	if i := strings.LastIndexByte(s[max(cut-4, 0):cut], '&'); i >= 0 {
		i += max(cut-4, 0)
		if !strings.Contains(s[i:cut], ";") {
			cut = i
		}
	}
	return s[:cut] + truncMarker
}

// joinLimited joins lines with newlines into texts of at most n bytes each, at most max
// texts; lines that do not fit are counted in rest.
func joinLimited(lines []string, n, maxTexts int) (texts []string, rest int) {
	var cur strings.Builder
	for i, l := range lines {
		l = limit(l, n)
		if cur.Len() > 0 && cur.Len()+1+len(l) > n {
			if len(texts)+1 == maxTexts {
				texts = append(texts, cur.String())
				return texts, len(lines) - i
			}
			texts = append(texts, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(l)
	}
	if cur.Len() > 0 {
		texts = append(texts, cur.String())
	}
	return texts, 0
}
