package chatfake

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// The vectors were computed apart from this package, with Python's hmac module, as the
// vendors' own samples do.
func TestSignaturesAreTheVendorsOwn(t *testing.T) {
	if got := FeishuSign("1599360473", "test"); got != "NVcdmaRhTlOqmXksontxmKEP4AYWAMD5VOczwSqarks=" {
		t.Errorf("Feishu: %s", got)
	}
	if got := DingTalkSign("1577262236757", "SECtest"); got != "Za/ne6w2koB8B4ROVlgTNd/X+/FbyDpZrXLz57xNZSA=" {
		t.Errorf("DingTalk: %s", got)
	}
}

func post(t *testing.T, url string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFeishuRefusesWhatTheBotRefuses(t *testing.T) {
	f := NewFeishu("hook-token", "s3cret")
	defer f.Close()
	ts := "1599360473"
	f.SetNow(func() time.Time { return time.Unix(1599360473, 0).Add(30 * time.Minute) })
	text := map[string]any{"msg_type": "text", "content": map[string]any{"text": "hi"}}
	with := func(m map[string]any, kv ...string) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	for _, c := range []struct {
		name string
		url  string
		body map[string]any
		code float64
	}{
		{"signed", f.URL(), with(text, "timestamp", ts, "sign", FeishuSign(ts, "s3cret")), 0},
		{"wrong secret", f.URL(), with(text, "timestamp", ts, "sign", FeishuSign(ts, "other")), FeishuBadSign},
		{"unsigned", f.URL(), text, FeishuBadSign},
		{"old timestamp", f.URL(), with(text, "timestamp", "1599350000", "sign", FeishuSign("1599350000", "s3cret")), FeishuBadSign},
		{"wrong token", f.Server.URL + FeishuPath + "nope", text, FeishuBadToken},
		{"card without header", f.URL(), with(map[string]any{"msg_type": "interactive", "card": map[string]any{"elements": []any{}}},
			"timestamp", ts, "sign", FeishuSign(ts, "s3cret")), FeishuBadRequest},
	} {
		if got := post(t, c.url, c.body)["code"]; got != c.code {
			t.Errorf("%s: code %v, want %v", c.name, got, c.code)
		}
	}
}

func TestDingTalkRateLimitIsTwentyAMinute(t *testing.T) {
	d := NewDingTalk("tok", "")
	defer d.Close()
	now := time.Unix(1_700_000_000, 0)
	d.SetNow(func() time.Time { return now })
	msg := map[string]any{"msgtype": "markdown", "markdown": map[string]any{"title": "t", "text": "x"}}
	for i := range 20 {
		if got := post(t, d.URL(), msg)["errcode"]; got != float64(0) {
			t.Fatalf("message %d: errcode %v", i, got)
		}
	}
	if got := post(t, d.URL(), msg)["errcode"]; got != float64(DingTalkRateLimited) {
		t.Fatalf("21st: errcode %v", got)
	}
	now = now.Add(time.Minute)
	if got := post(t, d.URL(), msg)["errcode"]; got != float64(0) {
		t.Fatalf("a minute later: errcode %v", got)
	}
}

func TestWeComChecksKeyAndContent(t *testing.T) {
	c := NewWeCom("key-123")
	defer c.Close()
	if got := post(t, c.URL(), map[string]any{"msgtype": "markdown", "markdown": map[string]any{"content": "**x**"}})["errcode"]; got != float64(0) {
		t.Fatalf("errcode %v", got)
	}
	if got := post(t, c.Server.URL+WeComPath+"?key=bad", map[string]any{"msgtype": "markdown"})["errcode"]; got != float64(WeComBadKey) {
		t.Fatalf("bad key: errcode %v", got)
	}
	if got := post(t, c.URL(), map[string]any{"msgtype": "markdown", "markdown": map[string]any{}})["errcode"]; got != float64(WeComEmpty) {
		t.Fatalf("empty: errcode %v", got)
	}
}
