package chatfake

import (
	"net/http"
)

// WeCom's codes, as its group robot answers them.
const (
	WeComOK          = 0
	WeComBadType     = 40008 // invalid message type
	WeComEmpty       = 44004 // empty content
	WeComTooLong     = 40058 // markdown.content exceeds 4096 bytes
	WeComRateLimited = 45009 // api freq out of limit
	WeComBadKey      = 93000 // invalid webhook url
	weComMaxMarkdown = 4096
)

// WeComPath is where WeCom's group robot webhook is; its key is the key query parameter.
const WeComPath = "/cgi-bin/webhook/send"

// WeCom is a fake of a WeCom (企业微信) group robot's webhook.
type WeCom struct {
	core
	Key string
}

// NewWeCom starts a fake robot with key; 20 messages a minute, WeCom's documented limit.
func NewWeCom(key string) *WeCom {
	c := &WeCom{Key: key}
	c.init(c.serve, 20)
	return c
}

// URL is the robot's webhook URL, its key in it.
func (c *WeCom) URL() string { return c.Server.URL + WeComPath + "?key=" + c.Key }

func (c *WeCom) serve(w http.ResponseWriter, r *http.Request) {
	req, ok := c.read(w, r)
	if !ok {
		return
	}
	refuse := func(code int, msg string) { c.answer(w, req, code, map[string]any{"errcode": code, "errmsg": msg}) }
	if r.URL.Path != WeComPath || r.URL.Query().Get("key") != c.Key || c.Key == "" {
		refuse(WeComBadKey, "invalid webhook url")
		return
	}
	typ, _ := req.Body["msgtype"].(string)
	body, _ := obj(req.Body[typ])
	switch typ {
	case "text", "markdown":
	default:
		refuse(WeComBadType, "invalid message type")
		return
	}
	content, ok := str(body["content"])
	switch {
	case !ok:
		refuse(WeComEmpty, "empty content")
		return
	case typ == "markdown" && len(content) > weComMaxMarkdown:
		refuse(WeComTooLong, "markdown.content exceed max length 4096")
		return
	}
	if c.limited() {
		refuse(WeComRateLimited, "api freq out of limit")
		return
	}
	c.answer(w, req, WeComOK, map[string]any{"errcode": 0, "errmsg": "ok"})
}
