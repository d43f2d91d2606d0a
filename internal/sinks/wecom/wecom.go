// Package wecom posts events to a WeCom (企业微信) group robot, one Sink per [[wecom]]
// entry: a markdown message per event, its heading coloured by outcome, the facts, the
// links; at most 20 a minute, the robot's limit, and one digest past it (package chat).
//
// The robot answers HTTP 200 with {"errcode": …, "errmsg": …}: 0 is success, 45009 (api
// freq out of limit) and HTTP 429 or 5xx are retried, any other code (93000: an invalid
// webhook URL; 40058: content too long) drops the event for this receiver with the code
// in the log. The webhook URL holds the robot's key: it is in no error and no log line.
package wecom

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"notifier/internal/msgtmpl"
	"notifier/internal/receiver"
	"notifier/internal/secret"
	"notifier/internal/sinks/chat"
	"notifier/internal/sinks/pace"
)

// FreqLimited is the code of WeCom's "api freq out of limit": the one refusal retried.
const FreqLimited = 45009

// PerMinute is how many messages a WeCom group robot takes a minute.
const PerMinute = 20

// maxContent is WeCom's limit on markdown.content, in bytes.
const maxContent = 4096

// Options configure one robot's Sink.
type Options struct {
	Name     string
	URL      secret.Secret
	Client   *http.Client
	Deps     receiver.Deps // the log, statuses, links, windows
	Template *msgtmpl.Renderer
	Pace     *pace.Window     // the robot's limit; nil: none (a render)
	Now      func() time.Time // nil: time.Now
}

// New builds the Sink of a robot.
func New(o Options) (*chat.Sink, error) {
	r := &robot{url: o.URL, client: o.Client}
	return chat.New(chat.Options{Name: o.Name, Post: r.post, Log: o.Deps.Log, Pace: o.Pace, Statuses: o.Deps.Statuses,
		Links: o.Deps.Links, During: o.Deps.During, Template: o.Template, Now: o.Now})
}

type robot struct {
	url    secret.Secret
	client *http.Client
}

// Body is what the robot is posted.
type Body struct {
	MsgType  string   `json:"msgtype"` // markdown
	Markdown Markdown `json:"markdown"`
}

// Markdown is a markdown message.
type Markdown struct {
	Content string `json:"content"`
}

func (r *robot) post(ctx context.Context, m *chat.Message) error {
	return chat.Post(ctx, r.client, "wecom", r.url, "", NewBody(m), decode, func(c int) bool { return c == FreqLimited })
}

// decode reads the robot's answer: {"errcode":0,"errmsg":"ok"}.
func decode(body []byte) (int, string, bool) {
	var a struct {
		Code *int   `json:"errcode"`
		Msg  string `json:"errmsg"`
	}
	if json.Unmarshal(body, &a) != nil || a.Code == nil {
		return 0, "", false
	}
	return *a.Code, a.Msg, true
}

// escape keeps a value from forming a tag (WeCom's markdown renders <font> and <@user>).
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// colours are the heading's colour per outcome: WeCom's markdown has three, "info"
// (green), "comment" (grey) and "warning" (orange-red).
var colours = map[chat.Outcome]string{
	chat.Failed: "warning", chat.Gap: "warning", chat.Stuck: "warning", chat.Running: "comment",
	chat.Succeeded: "info", chat.Restored: "info", chat.Ended: "comment", chat.Test: "comment",
}

// NewBody is the message of m: a heading in the outcome's colour, the facts (or the
// template's body, or a digest's lines), the links; cut to WeCom's 4096 bytes.
func NewBody(m *chat.Message) Body {
	var b strings.Builder
	b.WriteString("### <font color=\"" + colours[m.Outcome] + "\">" + escape(m.Title) + "</font>\n")
	switch {
	case m.Body != "":
		b.WriteString(m.Body + "\n")
	case m.Digest > 0:
		for _, l := range m.Lines {
			b.WriteString("> " + escape(l) + "\n")
		}
		b.WriteString("One message for a burst of events, a line each.\n")
	default:
		for _, f := range m.Facts {
			b.WriteString("**" + f.Name + ":** " + escape(f.Value) + "\n")
		}
	}
	var links []string
	for _, l := range m.Links {
		links = append(links, "["+escape(l.Text)+"]("+l.URL+")")
	}
	if len(links) > 0 {
		b.WriteString(strings.Join(links, " · ") + "\n")
	}
	return Body{MsgType: "markdown", Markdown: Markdown{Content: msgtmpl.Cut(b.String(), maxContent)}}
}
