package dingtalk_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/linktmpl"
	"notifier/internal/msgtmpl"
	"notifier/internal/receiver"
	"notifier/internal/retry"
	"notifier/internal/secret"
	"notifier/internal/sinks/chat"
	"notifier/internal/sinks/dingtalk"
	"notifier/internal/sinks/pace"
	"notifier/internal/testkit/chatfake"
	"notifier/internal/testkit/testutil"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var (
	now     = time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)
	project = msgtmpl.Project{ID: "0123456789abcdef0123456789abcdef", Name: "prod-eu", Region: "cn-north-4"}
)

const token = "b7c1f0e2d3a4958671e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4"

func sample(t *testing.T, name string) event.Event {
	t.Helper()
	e, err := msgtmpl.Sample(name, project, now)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func open(t *testing.T, c dingtalk.Config, d receiver.Deps, env map[string]string) *chat.Sink {
	t.Helper()
	dingtalk.Spec.Defaults(&c, func(string) bool { return false })
	d.Getenv = func(k string) string { return env[k] }
	o, err := dingtalk.Spec.Open(&c, "dingtalk[0]", d)
	if err != nil {
		t.Fatal(err)
	}
	return o.Sink.(*chat.Sink)
}

func fake(t *testing.T, secret string) (*chatfake.DingTalk, *chat.Sink) {
	t.Helper()
	f := chatfake.NewDingTalk(token, secret)
	t.Cleanup(f.Close)
	c := dingtalk.Config{Common: receiver.Common{Name: "ops"}, Webhook: chat.Webhook{URLEnv: "DT_URL"}}
	env := map[string]string{"DT_URL": f.URL()}
	if secret != "" {
		c.SecretEnv, env["DT_SECRET"] = "DT_SECRET", secret
	}
	return f, open(t, c, receiver.Deps{}, env)
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	for _, c := range []struct{ name, entry, want string }{
		{"no url", `name = "d"`, "dingtalk[0]: exactly one of url_env and url_file must be set"},
		{"secret pasted", "name = \"d\"\nurl_env = \"U\"\nsecret_env = \"SEC abc\"", "dingtalk[0].secret_env"},
		{"zero timeout", "name = \"d\"\nurl_env = \"U\"\ntimeout = \"0s\"", "dingtalk[0].timeout: must be positive"},
		{"template", "name = \"d\"\nurl_env = \"U\"\ntemplate = '{{nope .TaskName}}'", "dingtalk[0].template"},
		{"unknown key", "name = \"d\"\nurl_env = \"U\"\nsecret = \"SECx\"", "dingtalk[0].secret"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Load([]byte("[dcs]\nprojects = [{ project_id = \"0123456789abcdef0123456789abcdef\", region = \"cn-north-4\" }]\n\n[[dingtalk]]\n" + c.entry + "\n"))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestSendsSignedMarkdown(t *testing.T) {
	f, s := fake(t, "SECbd2d8f1a0c9e")
	if n, err := s.Send(t.Context(), []event.Event{sample(t, "switchover-failed")}); n != 1 || err != nil {
		t.Fatalf("Send = %d, %v; the robot refused %v", n, err, f.Refused())
	}
	got := f.Taken()
	raw, _ := json.Marshal(got)
	for _, want := range []string{`"msgtype":"markdown"`, `"title":"Master/standby switchover failed"`,
		`**Task:** masterStandbySwapJob`, `**Error code:** 111400063`, `**Error message:** The master/standby switchover failed.`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("the message lacks %s:\n%s", want, raw)
		}
	}
	q := f.Requests()[0].Query
	if q.Get("timestamp") == "" || q.Get("sign") != chatfake.DingTalkSign(q.Get("timestamp"), "SECbd2d8f1a0c9e") {
		t.Fatalf("query %v", q)
	}
}

func TestWrongSecretAndStaleTimestampAreDropped(t *testing.T) {
	f := chatfake.NewDingTalk(token, "SECtherobots")
	t.Cleanup(f.Close)
	s := open(t, dingtalk.Config{Common: receiver.Common{Name: "ops"}, Webhook: chat.Webhook{URLEnv: "U"}, Signed: chat.Signed{SecretEnv: "S"}}, receiver.Deps{},
		map[string]string{"U": f.URL(), "S": "SECawrongone"})
	n, err := s.Send(t.Context(), []event.Event{sample(t, "switchover-failed")})
	if r, ok := chat.IsRefused(err); n != 0 || !ok || r.Code != chatfake.DingTalkRefused || !retry.IsPermanent(err) {
		t.Fatalf("Send = %d, %v; want a permanent 310000", n, err)
	}
	if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "SECawrongone") {
		t.Fatalf("the error reveals the token or the secret: %v", err)
	}
	f2, s2 := fake(t, "SECtherobots")
	f2.SetNow(func() time.Time { return time.Now().Add(-61 * time.Minute) })
	if _, err := s2.Send(t.Context(), []event.Event{sample(t, "switchover-failed")}); !retry.IsPermanent(err) || !strings.Contains(err.Error(), "invalid timestamp") {
		t.Fatalf("stale timestamp: %v", err)
	}
}

func TestTooFastIsRetriedOtherCodesDropped(t *testing.T) {
	f, s := fake(t, "")
	evs := []event.Event{sample(t, "switchover-started")}
	f.Force(chatfake.Answer{Status: 200, Body: `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`},
		chatfake.Answer{Status: 503, Body: `busy`})
	for i := range 2 {
		if n, err := s.Send(t.Context(), evs); n != 0 || err == nil || retry.IsPermanent(err) {
			t.Fatalf("attempt %d: Send = %d, %v; want a retryable error", i, n, err)
		}
	}
	if n, err := s.Send(t.Context(), evs); n != 1 || err != nil {
		t.Fatalf("after: Send = %d, %v", n, err)
	}
	f.Keywords = []string{"a word no message holds"}
	if _, err := s.Send(t.Context(), evs); !retry.IsPermanent(err) || !strings.Contains(err.Error(), "code 310000") {
		t.Fatalf("keyword: %v", err)
	}
	f.Token = "another"
	if _, err := s.Send(t.Context(), evs); !retry.IsPermanent(err) || !strings.Contains(err.Error(), "code 300001") {
		t.Fatalf("token: %v", err)
	}
}

// TestPacedToTwentyAMinuteThenOneDigest: twenty messages go at once, the robot's minute is
// then full, and what waits goes as one digest once the minute allows it — the robot never
// says "too fast". The clock is a fake one, moved only by the pace's wait.
func TestPacedToTwentyAMinuteThenOneDigest(t *testing.T) {
	clk := testutil.NewClock(time.Now())
	f := chatfake.NewDingTalk(token, "SECpace")
	t.Cleanup(f.Close)
	f.SetNow(clk.Now)
	s, err := dingtalk.New(dingtalk.Options{Name: "ops", URL: secret.Secret(f.URL()), Secret: "SECpace",
		Client: f.Client(), Pace: pace.NewWindow(dingtalk.PerMinute, time.Minute, clk.Now, clk.Wait), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	start := clk.Now()
	for i := range 20 {
		if n, err := s.Send(t.Context(), []event.Event{sample(t, "switchover-started")}); n != 1 || err != nil {
			t.Fatalf("message %d: %d, %v", i, n, err)
		}
	}
	if clk.Now() != start {
		t.Fatalf("twenty messages waited %s", clk.Now().Sub(start))
	}
	var burst []event.Event
	for range 5 {
		burst = append(burst, sample(t, "switchover-failed"))
	}
	if n, err := s.Send(t.Context(), burst); n != 5 || err != nil {
		t.Fatalf("burst: %d, %v", n, err)
	}
	taken := f.Taken()
	if len(taken) != 21 || len(f.Refused()) != 0 {
		t.Fatalf("took %d, refused %v", len(taken), f.Refused())
	}
	if raw, _ := json.Marshal(taken[20]); !strings.Contains(string(raw), "5 DCS events: 5 failed") {
		t.Fatalf("the 21st is no digest: %s", raw)
	}
	if got := clk.Now().Sub(start); got != time.Minute {
		t.Fatalf("the digest waited %s, want the minute", got)
	}
}

// TestUnpacedTheRobotSaysTooFast: the fake holds the robot's limit; without the pace the
// 21st message of a minute is refused with 130101, which is retried.
func TestUnpacedTheRobotSaysTooFast(t *testing.T) {
	clk := testutil.NewClock(time.Now())
	f := chatfake.NewDingTalk(token, "")
	t.Cleanup(f.Close)
	f.SetNow(clk.Now)
	s, err := dingtalk.New(dingtalk.Options{Name: "ops", URL: secret.Secret(f.URL()), Client: f.Client()})
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if _, err := s.Send(t.Context(), []event.Event{sample(t, "switchover-started")}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = s.Send(t.Context(), []event.Event{sample(t, "switchover-started")})
	if r, ok := chat.IsRefused(err); !ok || r.Code != dingtalk.TooFast || retry.IsPermanent(err) {
		t.Fatalf("21st: %v, want a retryable 130101", err)
	}
}

func TestLinksMakeAnActionCard(t *testing.T) {
	f := chatfake.NewDingTalk(token, "")
	t.Cleanup(f.Close)
	s := open(t, dingtalk.Config{Common: receiver.Common{Name: "ops"}, Webhook: chat.Webhook{URLEnv: "U"}},
		receiver.Deps{Links: []linktmpl.Link{{Text: "Console", URL: "https://console.example.com/dcs/{{.InstanceID}}"}}},
		map[string]string{"U": f.URL()})
	if _, err := s.Send(t.Context(), []event.Event{sample(t, "switchover-failed")}); err != nil {
		t.Fatalf("%v (refused %v)", err, f.Refused())
	}
	raw, _ := json.Marshal(f.Taken())
	if !strings.Contains(string(raw), `"msgtype":"actionCard"`) || !strings.Contains(string(raw), `"actionURL":"https://console.example.com/dcs/2f4b9e2c`) {
		t.Fatalf("no actionCard: %s", raw)
	}
}

// TestGoldenMessages holds the message of each outcome, as once --render prints it.
func TestGoldenMessages(t *testing.T) {
	for _, name := range []string{"switchover-started", "switchover-succeeded", "switchover-failed", "stuck", "gap", "restored"} {
		t.Run(name, func(t *testing.T) {
			c := dingtalk.Config{Common: receiver.Common{Name: "ops"}, Webhook: chat.Webhook{URLEnv: "U"}}
			r, err := dingtalk.Spec.Render(t.Context(), &c, "dingtalk[0]", receiver.Deps{Now: now}, []event.Event{sample(t, name)})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Payloads) != 2 || r.Payloads[0] != "POST https://oapi.dingtalk.com/robot/send?access_token=REDACTED" {
				t.Fatalf("payloads %v", r.Payloads)
			}
			golden(t, name, r.Payloads[1])
		})
	}
}

func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if strings.TrimSpace(string(want)) != string(got) {
		t.Errorf("%s differs from the golden file:\n%s", name, got)
	}
}

// TestEveryMessageHoldsTheKeywordDCS: a robot whose security setting is the keyword "DCS",
// as the docs advise, takes every kind of message, a digest included.
func TestEveryMessageHoldsTheKeywordDCS(t *testing.T) {
	f, s := fake(t, "")
	f.Keywords = []string{"DCS"}
	for _, name := range []string{"switchover-started", "switchover-succeeded", "switchover-failed", "stuck", "gap", "restored", "test"} {
		if _, err := s.Send(t.Context(), []event.Event{sample(t, name)}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	var burst []event.Event
	for range 11 {
		burst = append(burst, sample(t, "switchover-succeeded"))
	}
	if _, err := s.Send(t.Context(), burst); err != nil {
		t.Errorf("digest: %v", err)
	}
}
