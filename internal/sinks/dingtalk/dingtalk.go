// Package dingtalk posts events to a DingTalk custom robot, one Sink per [[dingtalk]]
// entry: a markdown message per event, or an actionCard with link buttons when
// [[slack.links]] apply; at most 20 a minute, the robot's limit, and one digest past it
// (package chat). With a secret, each URL carries "timestamp" (ms) and "sign" as DingTalk
// documents for a robot that signs (加签).
//
// The robot answers HTTP 200 with {"errcode": …, "errmsg": …}: 0 is success, 130101
// (send too fast) and HTTP 429 or 5xx are retried, any other code (310000: a keyword
// missing, a wrong signature, a stale timestamp or an IP not allowed; 300001: a wrong
// token) drops the event for this receiver with the code in the log. The webhook URL is
// a secret: it is in no error and no log line.
package dingtalk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"notifier/internal/msgtmpl"
	"notifier/internal/receiver"
	"notifier/internal/secret"
	"notifier/internal/sinks/chat"
	"notifier/internal/sinks/pace"
)

// TooFast is the code of DingTalk's "send too fast": the one refusal retried.
const TooFast = 130101

// PerMinute is how many messages a DingTalk robot takes a minute.
const PerMinute = 20

// Options configure one robot's Sink.
type Options struct {
	Name        string
	URL, Secret secret.Secret // the secret "": unsigned
	Client      *http.Client
	Deps        receiver.Deps // the log, statuses, links, windows
	Template    *msgtmpl.Renderer
	Pace        *pace.Window     // the robot's limit; nil: none (a render)
	Now         func() time.Time // nil: time.Now
}

// New builds the Sink of a robot.
func New(o Options) (*chat.Sink, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	r := &robot{url: o.URL, secret: o.Secret, client: o.Client, now: o.Now}
	return chat.New(chat.Options{Name: o.Name, Post: r.post, Log: o.Deps.Log, Pace: o.Pace, Statuses: o.Deps.Statuses,
		Links: o.Deps.Links, During: o.Deps.During, Template: o.Template, Now: o.Now})
}

type robot struct {
	url, secret secret.Secret
	client      *http.Client
	now         func() time.Time
}

// Sign is the signature DingTalk documents, before the URL encoding the query applies:
// base64 of HMAC-SHA256 keyed with the secret over timestamp + "\n" + secret.
func Sign(timestamp, secret string) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(timestamp + "\n" + secret))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func (r *robot) post(ctx context.Context, m *chat.Message) error {
	var query string
	if r.secret != "" {
		ts := strconv.FormatInt(r.now().UnixMilli(), 10)
		query = "timestamp=" + ts + "&sign=" + url.QueryEscape(Sign(ts, r.secret.Reveal()))
	}
	return chat.Post(ctx, r.client, "dingtalk", r.url, query, NewBody(m), decode, func(c int) bool { return c == TooFast })
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

// escape keeps a value from forming an HTML tag (DingTalk's markdown renders <font>).
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
