package chatfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// DingTalk's codes, as its custom robot answers them.
const (
	DingTalkOK          = 0
	DingTalkBadToken    = 300001 // token is not exist
	DingTalkBadMessage  = 40035  // a missing or wrong parameter
	DingTalkRefused     = 310000 // keywords not in content, sign not match, invalid timestamp, ip not in whitelist
	DingTalkRateLimited = 130101 // send too fast, exceed 20 times per minute
)

// DingTalkPath is where DingTalk's robot webhook is; its token is the access_token query
// parameter.
const DingTalkPath = "/robot/send"

// DingTalk is a fake of a DingTalk custom robot's webhook.
type DingTalk struct {
	core
	Token    string
	Secret   string   // "": no signature check ("SEC…" in DingTalk)
	Keywords []string // none: no keyword check
}

// NewDingTalk starts a fake robot with token whose secret (if not "") is checked; 20
// messages a minute, DingTalk's documented limit.
func NewDingTalk(token, secret string) *DingTalk {
	d := &DingTalk{Token: token, Secret: secret}
	d.init(d.serve, 20)
	return d
}

// URL is the robot's webhook URL, its token in it.
func (d *DingTalk) URL() string { return d.Server.URL + DingTalkPath + "?access_token=" + d.Token }

// DingTalkSign is the signature DingTalk documents, before its URL encoding: base64 of
// HMAC-SHA256 keyed with the secret over timestamp + "\n" + secret.
func DingTalkSign(timestamp, secret string) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(timestamp + "\n" + secret))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func (d *DingTalk) serve(w http.ResponseWriter, r *http.Request) {
	req, ok := d.read(w, r)
	if !ok {
		return
	}
	refuse := func(code int, msg string) { d.answer(w, req, code, map[string]any{"errcode": code, "errmsg": msg}) }
	q := r.URL.Query()
	if r.URL.Path != DingTalkPath || q.Get("access_token") != d.Token || d.Token == "" {
		refuse(DingTalkBadToken, "token is not exist")
		return
	}
	if d.Secret != "" {
		// Query() has decoded the URL encoding the robot's sender applied.
		ts, sign := q.Get("timestamp"), q.Get("sign")
		ms, err := strconv.ParseInt(ts, 10, 64)
		switch {
		case err != nil || !fresh(time.UnixMilli(ms), d.clock()):
			refuse(DingTalkRefused, "invalid timestamp")
			return
		case !hmac.Equal([]byte(sign), []byte(DingTalkSign(ts, d.Secret))):
			refuse(DingTalkRefused, "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]")
			return
		}
	}
	if req.Body == nil {
		refuse(DingTalkBadMessage, "缺少参数 json")
		return
	}
	if err := dingTalkSchema(req.Body); err != nil {
		refuse(DingTalkBadMessage, err.Error())
		return
	}
	if !contains(req.Raw, d.Keywords) {
		refuse(DingTalkRefused, "keywords not in content, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]")
		return
	}
	if d.limited() {
		refuse(DingTalkRateLimited, "send too fast, exceed 20 times per minute")
		return
	}
	d.answer(w, req, DingTalkOK, map[string]any{"errcode": 0, "errmsg": "ok"})
}

// dingTalkSchema checks a text, markdown or actionCard message as the robot does.
func dingTalkSchema(b map[string]any) error {
	typ, _ := b["msgtype"].(string)
	body, ok := obj(b[typ])
	if !ok {
		return fmt.Errorf("msgtype %q needs its object %q", typ, typ)
	}
	need := func(keys ...string) error {
		for _, k := range keys {
			if _, ok := str(body[k]); !ok {
				return fmt.Errorf("%s.%s is required", typ, k)
			}
		}
		return nil
	}
	switch typ {
	case "text":
		return need("content")
	case "markdown":
		return need("title", "text")
	case "actionCard":
		if err := need("title", "text"); err != nil {
			return err
		}
		if body["singleTitle"] != nil {
			return need("singleTitle", "singleURL")
		}
		btns, ok := list(body["btns"])
		if !ok || len(btns) == 0 {
			return fmt.Errorf("actionCard needs singleTitle and singleURL, or btns")
		}
		for i, b := range btns {
			bo, _ := obj(b)
			if _, ok := str(bo["title"]); !ok {
				return fmt.Errorf("actionCard.btns[%d].title is required", i)
			}
			if _, ok := str(bo["actionURL"]); !ok {
				return fmt.Errorf("actionCard.btns[%d].actionURL is required", i)
			}
		}
		return nil
	}
	return fmt.Errorf("msgtype %q is not one the fake knows", typ)
}
