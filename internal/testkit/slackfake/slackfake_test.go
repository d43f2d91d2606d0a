package slackfake

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// The fake answers slack-go as Slack does: a ts for a post, the replies in their thread,
// chat.update in place, and Slack's error codes for what Slack refuses.
func TestFakeAnswersAsSlack(t *testing.T) {
	s := New(t, "xoxb-good")
	api := slack.New("xoxb-good", slack.OptionAPIURL(s.APIURL()))
	ch, ts, err := api.PostMessage("C1", slack.MsgOptionText("hello", false))
	if err != nil || ch != "C1" || ts == "" {
		t.Fatalf("post: %q %q %v", ch, ts, err)
	}
	if _, _, err := api.PostMessage("C1", slack.MsgOptionText("reply", false), slack.MsgOptionTS(ts), slack.MsgOptionBroadcast()); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessage("C1", ts, slack.MsgOptionText("hello again", false)); err != nil {
		t.Fatal(err)
	}
	top, replies := s.Top("C1"), s.Replies(ts)
	if len(top) != 1 || top[0].Text != "hello again" || top[0].Updates != 1 || len(replies) != 1 || !replies[0].Broadcast {
		t.Fatalf("top %+v replies %+v", top, replies)
	}
	if c := s.Calls(); len(c) != 3 || c[0].Bearer || c[0].JSON {
		t.Errorf("calls %+v: slack-go sends forms with the token in the body", c)
	}

	code := func(err error) string {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) {
			return se.Err
		}
		return ""
	}
	bad := slack.New("xoxb-bad", slack.OptionAPIURL(s.APIURL()))
	if _, _, err := bad.PostMessage("C1", slack.MsgOptionText("x", false)); code(err) != "invalid_auth" {
		t.Errorf("a wrong token: %v", err)
	}
	if _, _, err := slack.New("", slack.OptionAPIURL(s.APIURL())).PostMessage("C1", slack.MsgOptionText("x", false)); code(err) != "not_authed" {
		t.Errorf("no token: %v", err)
	}
	if _, _, _, err := api.UpdateMessage("C1", "1.2", slack.MsgOptionText("x", false)); code(err) != "message_not_found" {
		t.Errorf("updating no message: %v", err)
	}
	if _, _, err := api.PostMessage("C1", slack.MsgOptionText("x", false), slack.MsgOptionTS("9.9")); code(err) != "thread_not_found" {
		t.Errorf("a reply to no message: %v", err)
	}
	if _, _, err := api.PostMessage("C1"); code(err) != "no_text" {
		t.Errorf("an empty message: %v", err)
	}
	if _, _, err := api.PostMessage("C1", slack.MsgOptionText(strings.Repeat("x", 40001), false)); code(err) != "msg_too_long" {
		t.Errorf("a long message: %v", err)
	}
	blocks := make([]slack.Block, 51)
	for i := range blocks {
		blocks[i] = slack.NewDividerBlock()
	}
	if _, _, err := api.PostMessage("C1", slack.MsgOptionBlocks(blocks...)); code(err) != "invalid_blocks" {
		t.Errorf("51 blocks: %v", err)
	}
	s.NoChannel("C2")
	if _, _, err := api.PostMessage("C2", slack.MsgOptionText("x", false)); code(err) != "channel_not_found" {
		t.Errorf("a gone channel: %v", err)
	}
	s.Fail("chat.postMessage", Fault{Status: 429, RetryAfter: "3"}, Fault{Status: 503}, Fault{Error: "ratelimited"})
	var rl *slack.RateLimitedError
	if _, _, err := api.PostMessage("C1", slack.MsgOptionText("x", false)); !errors.As(err, &rl) || rl.RetryAfter.Seconds() != 3 {
		t.Errorf("a 429: %v", err)
	}
	var sc slack.StatusCodeError
	if _, _, err := api.PostMessage("C1", slack.MsgOptionText("x", false)); !errors.As(err, &sc) || sc.Code != 503 {
		t.Errorf("a 503: %v", err)
	}
	if _, _, err := api.PostMessage("C1", slack.MsgOptionText("x", false)); code(err) != "ratelimited" {
		t.Errorf("ratelimited: %v", err)
	}
}

// A JSON body with the token as Bearer is read as Slack reads it; a wrong path is a 404
// and a GET is refused.
func TestFakeReadsJSONAndChecksTheRequest(t *testing.T) {
	s := New(t, "xoxb-good")
	post := func(path, ct, auth, body string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, s.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	post("/api/chat.postMessage", "application/json; charset=utf-8", "Bearer xoxb-good",
		`{"channel":"C7","text":"hi","attachments":[{"color":"#E01E5A","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"x"}}]}]}`)
	top := s.Top("C7")
	if len(top) != 1 || top[0].Text != "hi" || len(top[0].Attachments) != 1 || top[0].Attachments[0].Color != "#E01E5A" {
		t.Fatalf("a JSON post: %+v", top)
	}
	if c := s.Calls(); !c[0].Bearer || !c[0].JSON {
		t.Errorf("call %+v", c[0])
	}
	if resp := post("/wrong/chat.postMessage", "application/json", "Bearer xoxb-good", `{}`); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a wrong path: %d", resp.StatusCode)
	}
	resp, err := http.Get(s.APIURL() + "chat.postMessage")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("a GET: %d", resp.StatusCode)
	}
}
