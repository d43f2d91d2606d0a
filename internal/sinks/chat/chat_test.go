package chat

import (
	"strings"
	"testing"
	"time"

	"notifier/internal/msgtmpl"
	"notifier/internal/secret"
)

func TestBuildTellsLabelTaskAndError(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e, err := msgtmpl.Sample("switchover-failed", msgtmpl.Project{ID: "0123456789abcdef0123456789abcdef", Name: "prod", Region: "cn-north-4"}, now)
	if err != nil {
		t.Fatal(err)
	}
	m := Build(&e, msgtmpl.NewData(&e, msgtmpl.Env{Now: now}))
	if m.Title != "Master/standby switchover failed" || m.Outcome != Failed {
		t.Fatalf("title %q outcome %s", m.Title, m.Outcome)
	}
	facts := map[string]string{}
	for _, f := range m.Facts {
		facts[f.Name] = f.Value
	}
	for k, v := range map[string]string{"Task": "masterStandbySwapJob", "Error code": "111400063",
		"Error message": "The master/standby switchover failed.", "Project": "prod (cn-north-4)"} {
		if facts[k] != v {
			t.Errorf("fact %s = %q, want %q", k, facts[k], v)
		}
	}
}

func TestDigestTakesTheWorstColourAndCutsLines(t *testing.T) {
	var msgs []Message
	for range 40 {
		msgs = append(msgs, Message{Title: "ok", Outcome: Succeeded})
	}
	msgs = append(msgs, Message{Title: "bad", Outcome: Failed, Facts: []Fact{{"Task", "masterStandbySwapJob"}}})
	d := Digest(msgs)
	if d.Outcome != Failed || d.Digest != 41 || len(d.Lines) != digestLines+1 || !strings.HasSuffix(d.Lines[digestLines], "and 11 more") {
		t.Fatalf("digest %+v", d)
	}
	if d.Title != "41 DCS events: 40 succeeded, 1 failed" {
		t.Fatalf("title %q", d.Title)
	}
}

func TestScrubHidesTheToken(t *testing.T) {
	u := secret.Secret("https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789")
	if got := Scrub("token abcdef0123456789 is not exist", u); strings.Contains(got, "abcdef0123456789") {
		t.Fatal(got)
	}
	u = "https://open.feishu.cn/open-apis/bot/v2/hook/0f1e2d3c-aaaa-bbbb"
	if got := Scrub("hook 0f1e2d3c-aaaa-bbbb invalid", u); strings.Contains(got, "0f1e2d3c") {
		t.Fatal(got)
	}
}
