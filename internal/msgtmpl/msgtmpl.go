// Package msgtmpl is a receiver's message template (template or template_file): Go
// text/template with a small function set (Funcs), over one data model of an event
// (Data). A kind of receiver says what its template may shape (Style): the parts it
// reads by name, such as Slack's "headline" and "body" or PagerDuty's "summary" and
// "details", and how a value and a mention are written in its messages.
//
// A template is parsed when the configuration is loaded (Parse, Load), so a mistake is
// a config error naming the key and the line. It is executed for each event by a
// Renderer, which never loses an alert: a part that fails to execute gives the
// built-in text instead, and the failure is logged and counted
// (notifier_template_errors_total).
//
// A template that defines none of its kind's parts by name is split: its first line is
// the first part, the rest the second. A kind with one part (a whole request body)
// takes the template's whole text.
package msgtmpl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
)

// Style is what a kind of receiver makes of a template.
type Style struct {
	// Parts are the names of the templates the kind reads, in order: "headline" and
	// "body" for Slack. A template that defines none of them gives its first line to
	// the first and the rest to the second (all of it to a single part).
	Parts []string
	// Escape makes the text of every action ({{...}}) safe in the kind's messages (Slack's
	// mrkdwn: &, < and > become entities), as html/template escapes HTML: a value from
	// the API can never form a mention or a link. The template's own text and what
	// mention gives are left as written. nil: nothing is escaped.
	Escape func(string) string
	// Mention is how mention writes a mention in the kind's messages.
	Mention Mention
}

// maxFile bounds a template_file: a template is a few lines, and a huge file is a
// mistake (a log, a device) rather than a template.
const maxFile = 1 << 20

// Template is a parsed template, bound to its kind's Style. It is safe for concurrent
// use.
type Template struct {
	t     *template.Template
	style Style
	split bool // defines none of the parts: its root text is split among them
}

// escapeFunc is the function the escaping pass appends to every action's pipeline.
const escapeFunc = "_escape"

// Parse parses text, the template configured at key (slack.webhooks[0].template), for
// a kind of style s. Its error names the key and the line:
// `slack.webhooks[0].template: line 2: function "uper" not defined`.
func Parse(key, text string, s Style) (*Template, error) {
	t, err := template.New(key).Funcs(funcs(s, time.Time{})).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", key, parseError(key, err))
	}
	tp := &Template{t: t, style: s, split: true}
	for _, p := range s.Parts {
		if t.Lookup(p) != nil {
			tp.split = false
		}
	}
	if tp.split && strings.TrimSpace(rootText(t)) == "" && !hasActions(t) {
		return nil, fmt.Errorf("%s: defines none of %s and has no text of its own: it would change nothing", key, quoted(s.Parts))
	}
	if s.Escape != nil {
		for _, x := range t.Templates() {
			if x.Tree != nil {
				escapeList(x.Tree.Root)
			}
		}
	}
	return tp, nil
}

// ReadFile reads and parses the template file path, configured at key
// (pagerduty[0].template_file). Its errors name the key and the file, and the line of a
// mistake: `pagerduty[0].template_file: oncall.tmpl: line 3: unexpected "}" in operand`.
func ReadFile(key, path string, s Style) (*Template, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", key, err) // *PathError names the file
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("%s: %s: %w", key, path, err)
	case len(b) > maxFile:
		return nil, nil, fmt.Errorf("%s: %s: larger than %d bytes, which no template needs", key, path, maxFile)
	}
	t, err := Parse(path, string(b), s)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", key, err)
	}
	return t, b, nil
}

// Load is the template of a receiver configured at key with template (inline) or
// template_file (a path): nil when it sets neither. Setting both is an error; so is a
// style nil, for a kind that takes no template. read is what the file held, for a reload
// to tell a changed file.
func Load(key, inline, file string, s *Style) (t *Template, read []byte, err error) {
	switch {
	case inline == "" && file == "":
		return nil, nil, nil
	case inline != "" && file != "":
		return nil, nil, fmt.Errorf("%s: set template or template_file, not both", key)
	case s == nil:
		return nil, nil, fmt.Errorf("%s: this kind of receiver takes no template", key)
	case inline != "":
		t, err := Parse(key+".template", inline, *s)
		return t, nil, err
	}
	return ReadFile(key+".template_file", file, *s)
}

// parseError is a parse error of the template called name, as "line N: what".
func parseError(name string, err error) string {
	msg := strings.TrimPrefix(err.Error(), "template: ")
	if rest, ok := strings.CutPrefix(msg, name+":"); ok {
		if line, what, ok := strings.Cut(rest, ": "); ok {
			if _, err := strconv.Atoi(line); err == nil {
				return "line " + line + ": " + what
			}
		}
	}
	return msg
}

func quoted(parts []string) string {
	q := make([]string, len(parts))
	for i, p := range parts {
		q[i] = strconv.Quote(p)
	}
	return strings.Join(q, " and ")
}

// rootText is the text of the template outside its definitions.
func rootText(t *template.Template) string {
	if t.Tree == nil || t.Tree.Root == nil {
		return ""
	}
	var b strings.Builder
	for _, n := range t.Tree.Root.Nodes {
		if tx, ok := n.(*parse.TextNode); ok {
			b.Write(tx.Text)
		}
	}
	return b.String()
}

// hasActions reports whether the template's root holds anything but text.
func hasActions(t *template.Template) bool {
	if t.Tree == nil || t.Tree.Root == nil {
		return false
	}
	for _, n := range t.Tree.Root.Nodes {
		switch n.(type) {
		case *parse.TextNode, *parse.CommentNode:
		default:
			return true
		}
	}
	return false
}

// escapeList appends the escaper to the pipeline of every action that prints, as
// html/template does, through if, range, with and their else branches.
func escapeList(l *parse.ListNode) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		switch x := n.(type) {
		case *parse.ActionNode:
			if p := x.Pipe; p != nil && len(p.Decl) == 0 && !p.IsAssign {
				p.Cmds = append(p.Cmds, &parse.CommandNode{NodeType: parse.NodeCommand, Pos: p.Pos,
					Args: []parse.Node{parse.NewIdentifier(escapeFunc).SetPos(p.Pos)}})
			}
		case *parse.IfNode:
			escapeList(x.List)
			escapeList(x.ElseList)
		case *parse.RangeNode:
			escapeList(x.List)
			escapeList(x.ElseList)
		case *parse.WithNode:
			escapeList(x.List)
			escapeList(x.ElseList)
		}
	}
}

// Defines reports whether the template defines the part name.
func (t *Template) Defines(name string) bool { return !t.split && t.t.Lookup(name) != nil }

// Execute renders every part of the template's style for d: a part is absent when the
// template does not define it; one that fails is absent and its error is in errs (each
// naming the part).
func (t *Template) Execute(d *Data) (parts map[string]string, errs []error) {
	x, err := t.t.Clone()
	if err != nil {
		return nil, []error{err}
	}
	x.Funcs(funcs(t.style, d.Now))
	parts = map[string]string{}
	if t.split {
		var b bytes.Buffer
		if err := x.Execute(&b, d); err != nil {
			return nil, []error{err}
		}
		s := b.String()
		if len(t.style.Parts) == 1 {
			parts[t.style.Parts[0]] = s
			return parts, nil
		}
		first, rest, _ := strings.Cut(strings.TrimLeft(s, "\r\n"), "\n")
		if len(t.style.Parts) > 0 {
			parts[t.style.Parts[0]] = first
		}
		if len(t.style.Parts) > 1 {
			parts[t.style.Parts[1]] = rest
		}
		return parts, nil
	}
	for _, p := range t.style.Parts {
		if x.Lookup(p) == nil {
			continue
		}
		var b bytes.Buffer
		if err := x.ExecuteTemplate(&b, p, d); err != nil {
			errs = append(errs, fmt.Errorf("%q: %w", p, err))
			continue
		}
		parts[p] = b.String()
	}
	return parts, errs
}

// errNoTime is since's and date's error for a time that is not there.
var errNoTime = errors.New("no time (guard it with {{with}})")
