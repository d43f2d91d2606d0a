package chatfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Feishu's codes, as its custom bot answers them.
const (
	FeishuOK          = 0
	FeishuBadRequest  = 9499  // a body that is no JSON, or a message that breaks the schema
	FeishuBadToken    = 19001 // param invalid: incoming webhook access token invalid
	FeishuBadSign     = 19021 // sign match fail or timestamp is not within one hour from current time
	FeishuNoKeyword   = 19024 // Key Words Not Found
	FeishuRateLimited = 11232 // frequency limited
)

// FeishuPath is where a Feishu custom bot's webhook is, before its token.
const FeishuPath = "/open-apis/bot/v2/hook/"

// Feishu is a fake of a Feishu (Lark) custom bot's webhook.
type Feishu struct {
	core
	Token    string
	Secret   string   // "": no signature check
	Keywords []string // none: no keyword check
}

// NewFeishu starts a fake bot with token whose secret (if not "") is checked; 100
// messages a minute and 5 a second, Feishu's documented limits for a custom bot.
func NewFeishu(token, secret string) *Feishu {
	f := &Feishu{Token: token, Secret: secret}
	f.init(f.serve, 100)
	f.burst = 5
	return f
}

// URL is the bot's webhook URL.
func (f *Feishu) URL() string { return f.Server.URL + FeishuPath + f.Token }

// FeishuSign is the signature Feishu documents: base64 of HMAC-SHA256 keyed with
// timestamp + "\n" + secret, over an empty message.
func FeishuSign(timestamp, secret string) string {
	h := hmac.New(sha256.New, []byte(timestamp+"\n"+secret))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

var feishuColours = []string{"blue", "wathet", "turquoise", "green", "yellow", "orange", "red", "carmine", "violet", "purple", "indigo", "grey", "default"}

func (f *Feishu) serve(w http.ResponseWriter, r *http.Request) {
	req, ok := f.read(w, r)
	if !ok {
		return
	}
	refuse := func(code int, msg string) {
		f.answer(w, req, code, map[string]any{"code": code, "msg": msg, "data": map[string]any{}})
	}
	if strings.TrimPrefix(r.URL.Path, FeishuPath) != f.Token || f.Token == "" {
		refuse(FeishuBadToken, "param invalid: incoming webhook access token invalid")
		return
	}
	if req.Body == nil {
		refuse(FeishuBadRequest, "Bad Request")
		return
	}
	if f.Secret != "" {
		ts, _ := str(req.Body["timestamp"])
		sign, _ := str(req.Body["sign"])
		secs, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || !fresh(time.Unix(secs, 0), f.clock()) || !hmac.Equal([]byte(sign), []byte(FeishuSign(ts, f.Secret))) {
			refuse(FeishuBadSign, "sign match fail or timestamp is not within one hour from current time")
			return
		}
	}
	if err := feishuSchema(req.Body); err != nil {
		refuse(FeishuBadRequest, "Bad Request: "+err.Error())
		return
	}
	if !contains(req.Raw, f.Keywords) {
		refuse(FeishuNoKeyword, "Key Words Not Found")
		return
	}
	if f.limited() {
		refuse(FeishuRateLimited, "frequency limited")
		return
	}
	f.answer(w, req, FeishuOK, map[string]any{"code": 0, "msg": "success", "data": map[string]any{}, "StatusCode": 0, "StatusMessage": "success"})
}

// feishuSchema checks a message as the bot does: text or an interactive card with a
// header (plain_text title, a known colour) and elements (div with text or fields of
// lark_md/plain_text, hr, note, action with buttons that have a text and a url).
func feishuSchema(b map[string]any) error {
	switch b["msg_type"] {
	case "text":
		c, _ := obj(b["content"])
		if _, ok := str(c["text"]); !ok {
			return fmt.Errorf("content.text is required")
		}
		return nil
	case "interactive":
	default:
		return fmt.Errorf("msg_type %v is not one the fake knows", b["msg_type"])
	}
	card, ok := obj(b["card"])
	if !ok {
		return fmt.Errorf("card is required")
	}
	h, _ := obj(card["header"])
	title, _ := obj(h["title"])
	if _, ok := str(title["content"]); !ok || title["tag"] != "plain_text" {
		return fmt.Errorf("card.header.title needs tag plain_text and a content")
	}
	if c, ok := h["template"].(string); ok && !slices.Contains(feishuColours, c) {
		return fmt.Errorf("card.header.template %q is no colour", c)
	}
	els, ok := list(card["elements"])
	if !ok || len(els) == 0 {
		return fmt.Errorf("card.elements is required")
	}
	for i, el := range els {
		if err := feishuElement(el); err != nil {
			return fmt.Errorf("card.elements[%d]: %w", i, err)
		}
	}
	return nil
}

func feishuText(v any) error {
	t, _ := obj(v)
	if tag := t["tag"]; tag != "lark_md" && tag != "plain_text" {
		return fmt.Errorf("text tag %v", tag)
	}
	if _, ok := t["content"].(string); !ok {
		return fmt.Errorf("text without content")
	}
	return nil
}

func feishuElement(v any) error {
	el, _ := obj(v)
	switch el["tag"] {
	case "hr":
		return nil
	case "div":
		if el["text"] == nil && el["fields"] == nil {
			return fmt.Errorf("div needs text or fields")
		}
		if el["text"] != nil {
			if err := feishuText(el["text"]); err != nil {
				return err
			}
		}
		fs, _ := list(el["fields"])
		for _, f := range fs {
			fo, _ := obj(f)
			if _, ok := fo["is_short"].(bool); !ok {
				return fmt.Errorf("field without is_short")
			}
			if err := feishuText(fo["text"]); err != nil {
				return err
			}
		}
		return nil
	case "note":
		es, ok := list(el["elements"])
		if !ok || len(es) == 0 {
			return fmt.Errorf("note needs elements")
		}
		for _, e := range es {
			if err := feishuText(e); err != nil {
				return err
			}
		}
		return nil
	case "action":
		as, ok := list(el["actions"])
		if !ok || len(as) == 0 {
			return fmt.Errorf("action needs actions")
		}
		for _, a := range as {
			ao, _ := obj(a)
			if ao["tag"] != "button" {
				return fmt.Errorf("action of tag %v", ao["tag"])
			}
			if err := feishuText(ao["text"]); err != nil {
				return err
			}
			if u, ok := str(ao["url"]); !ok || !strings.HasPrefix(u, "http") {
				return fmt.Errorf("button without an http(s) url")
			}
		}
		return nil
	}
	return fmt.Errorf("element of tag %v", el["tag"])
}
