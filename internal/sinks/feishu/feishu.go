// Package feishu posts events to a Feishu (Lark) custom bot, one Sink per [[feishu]]
// entry: an interactive card per event, its header coloured by outcome, the facts as
// fields, the links as buttons; a burst of more than ten becomes one digest card
// (package chat). With a secret, each body carries "timestamp" and "sign" as Feishu
// documents for the bot's signature check.
//
// At most 100 messages a minute and 5 a second go to one bot, its limits: past the minute's,
// what waits is one digest.
//
// The bot answers HTTP 200 with {"code": …, "msg": …}: 0 is success, 11232 (frequency
// limited) and HTTP 429 or 5xx are retried, any other code (19021 a wrong signature,
// 19024 a missing keyword, 19001 a wrong token) drops the event for this receiver with
// the code in the log. The webhook URL is a secret: it is in no error and no log line.
package feishu

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"notifier/internal/msgtmpl"
	"notifier/internal/receiver"
	"notifier/internal/secret"
	"notifier/internal/sinks/chat"
	"notifier/internal/sinks/pace"
)

// RateLimited is the code of Feishu's "frequency limited": the one refusal retried.
const RateLimited = 11232

// Feishu's limits on a custom bot: 100 messages a minute, 5 a second.
const (
	PerMinute = 100
	PerSecond = 5
)

// Options configure one bot's Sink.
type Options struct {
	Name        string
	URL, Secret secret.Secret // the secret "" : unsigned
	Client      *http.Client
	Deps        receiver.Deps // the log, statuses, links, windows
	Template    *msgtmpl.Renderer
	// Pace and Space are the bot's limits, a minute's (past it, one digest) and a
	// second's (waited for); nil: none (a render).
	Pace, Space *pace.Window
	Now         func() time.Time // nil: time.Now
}

// New builds the Sink of a bot.
func New(o Options) (*chat.Sink, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	b := &bot{url: o.URL, secret: o.Secret, client: o.Client, now: o.Now}
	return chat.New(chat.Options{Name: o.Name, Post: b.post, Log: o.Deps.Log, Pace: o.Pace, Space: o.Space, Statuses: o.Deps.Statuses,
		Links: o.Deps.Links, During: o.Deps.During, Template: o.Template, Now: o.Now})
}

type bot struct {
	url, secret secret.Secret
	client      *http.Client
	now         func() time.Time
}

// Sign is the signature Feishu documents: base64 of HMAC-SHA256 keyed with timestamp +
// "\n" + secret, over an empty message.
func Sign(timestamp, secret string) string {
	h := hmac.New(sha256.New, []byte(timestamp+"\n"+secret))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// Body is what the bot is posted.
type Body struct {
	Timestamp string `json:"timestamp,omitempty"` // unix seconds, with a secret
	Sign      string `json:"sign,omitempty"`
	MsgType   string `json:"msg_type"`
	Card      Card   `json:"card"`
}

func (b *bot) post(ctx context.Context, m *chat.Message) error {
	body := Body{MsgType: "interactive", Card: NewCard(m)}
	if b.secret != "" {
		body.Timestamp = strconv.FormatInt(b.now().Unix(), 10)
		body.Sign = Sign(body.Timestamp, b.secret.Reveal())
	}
	return chat.Post(ctx, b.client, "feishu", b.url, "", body, decode, func(c int) bool { return c == RateLimited })
}

// decode reads the bot's answer: {"code":0,"msg":"success"}, or the older
// {"StatusCode":0,"StatusMessage":"success"}.
func decode(body []byte) (int, string, bool) {
	var a struct {
		Code          *int   `json:"code"`
		Msg           string `json:"msg"`
		StatusCode    *int   `json:"StatusCode"`
		StatusMessage string `json:"StatusMessage"`
	}
	if json.Unmarshal(body, &a) != nil {
		return 0, "", false
	}
	switch {
	case a.Code != nil:
		return *a.Code, a.Msg, true
	case a.StatusCode != nil:
		return *a.StatusCode, a.StatusMessage, true
	}
	return 0, "", false
}

// escape makes a value safe in lark_md: it can form no tag (<at>, <font>).
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
