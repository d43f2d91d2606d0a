package wecom_test

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
	"notifier/internal/sinks/pace"
	"notifier/internal/sinks/wecom"
	"notifier/internal/testkit/chatfake"
	"notifier/internal/testkit/testutil"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var (
	now     = time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)
	project = msgtmpl.Project{ID: "0123456789abcdef0123456789abcdef", Name: "prod-eu", Region: "cn-north-4"}
)

const key = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"

func sample(t *testing.T, name string) event.Event {
	t.Helper()
	e, err := msgtmpl.Sample(name, project, now)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func open(t *testing.T, d receiver.Deps, url string) *chat.Sink {
	t.Helper()
	c := wecom.Config{Common: receiver.Common{Name: "ops"}, Webhook: chat.Webhook{URLEnv: "WECOM_URL"}}
	wecom.Spec.Defaults(&c, func(string) bool { return false })
	d.Getenv = func(string) string { return url }
	o, err := wecom.Spec.Open(&c, "wecom[0]", d)
	if err != nil {
		t.Fatal(err)
	}
	return o.Sink.(*chat.Sink)
}

func fake(t *testing.T) (*chatfake.WeCom, *chat.Sink) {
	t.Helper()
	f := chatfake.NewWeCom(key)
	t.Cleanup(f.Close)
	return f, open(t, receiver.Deps{}, f.URL())
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	for _, c := range []struct{ name, entry, want string }{
		{"no url", `name = "w"`, "wecom[0]: exactly one of url_env and url_file must be set"},
		{"url pasted", "name = \"w\"\nurl_env = \"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x\"", "wecom[0].url_env"},
		{"no secret here", "name = \"w\"\nurl_env = \"U\"\nsecret_env = \"S\"", "wecom[0].secret_env"},
		{"zero timeout", "name = \"w\"\nurl_env = \"U\"\ntimeout = \"0s\"", "wecom[0].timeout: must be positive"},
		{"template", "name = \"w\"\nurl_env = \"U\"\ntemplate = '{{nope .TaskName}}'", "wecom[0].template"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Load([]byte("[dcs]\nprojects = [{ project_id = \"0123456789abcdef0123456789abcdef\", region = \"cn-north-4\" }]\n\n[[wecom]]\n" + c.entry + "\n"))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestSendsMarkdown(t *testing.T) {
	f, s := fake(t)
	if n, err := s.Send(t.Context(), []event.Event{sample(t, "switchover-failed")}); n != 1 || err != nil {
		t.Fatalf("Send = %d, %v; the robot refused %v", n, err, f.Refused())
	}
	raw, _ := json.Marshal(f.Taken())
	for _, want := range []string{`"msgtype":"markdown"`, `Master/standby switchover failed`, `warning`,
		`**Task:** masterStandbySwapJob`, `**Error code:** 111400063`, `**Error message:** The master/standby switchover failed.`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("the message lacks %s:\n%s", want, raw)
		}
	}
}

func TestFreqLimitIsRetriedOtherCodesDropped(t *testing.T) {
	f, s := fake(t)
	evs := []event.Event{sample(t, "switchover-started")}
	f.Force(chatfake.Answer{Status: 200, Body: `{"errcode":45009,"errmsg":"api freq out of limit"}`},
		chatfake.Answer{Status: 500, Body: `oops`})
	for i := range 2 {
		if n, err := s.Send(t.Context(), evs); n != 0 || err == nil || retry.IsPermanent(err) {
			t.Fatalf("attempt %d: Send = %d, %v; want a retryable error", i, n, err)
		}
	}
	if n, err := s.Send(t.Context(), evs); n != 1 || err != nil {
		t.Fatalf("after: Send = %d, %v", n, err)
	}
	f.Force(chatfake.Answer{Status: 200, Body: `{"errcode":93000,"errmsg":"invalid webhook url, hint: [` + key + `]"}`})
	_, err := s.Send(t.Context(), evs)
	if r, ok := chat.IsRefused(err); !ok || r.Code != chatfake.WeComBadKey || !retry.IsPermanent(err) {
		t.Fatalf("bad key: %v, want a permanent 93000", err)
	}
	if strings.Contains(err.Error(), key) {
		t.Fatalf("the error reveals the key: %v", err)
	}
}

func TestAWrongKeyIsRefusedByTheRobot(t *testing.T) {
	f := chatfake.NewWeCom(key)
	t.Cleanup(f.Close)
	s := open(t, receiver.Deps{}, f.Server.URL+chatfake.WeComPath+"?key=deleted-key-0123456789")
	_, err := s.Send(t.Context(), []event.Event{sample(t, "switchover-failed")})
	if !retry.IsPermanent(err) || !strings.Contains(err.Error(), "code 93000") || strings.Contains(err.Error(), "deleted-key-0123456789") {
		t.Fatalf("err %v", err)
	}
}

// TestPacedToTwentyAMinuteThenOneDigest: twenty messages go at once, the robot's minute is
// then full, and what waits goes as one digest once the minute allows it — the robot never
// answers 45009. The clock is a fake one, moved only by the pace's wait.
func TestPacedToTwentyAMinuteThenOneDigest(t *testing.T) {
	clk := testutil.NewClock(time.Now())
	f := chatfake.NewWeCom(key)
	t.Cleanup(f.Close)
	f.SetNow(clk.Now)
	s, err := wecom.New(wecom.Options{Name: "ops", URL: secret.Secret(f.URL()), Client: f.Client(),
		Pace: pace.NewWindow(wecom.PerMinute, time.Minute, clk.Now, clk.Wait), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	start := clk.Now()
	for i := range 20 {
		if n, err := s.Send(t.Context(), []event.Event{sample(t, "switchover-succeeded")}); n != 1 || err != nil {
			t.Fatalf("message %d: %d, %v", i, n, err)
		}
	}
	var burst []event.Event
	for range 3 {
		burst = append(burst, sample(t, "switchover-failed"), sample(t, "stuck"))
	}
	if n, err := s.Send(t.Context(), burst); n != 6 || err != nil {
		t.Fatalf("burst: %d, %v", n, err)
	}
	taken := f.Taken()
	if len(taken) != 21 || len(f.Refused()) != 0 {
		t.Fatalf("took %d, refused %v", len(taken), f.Refused())
	}
	if raw, _ := json.Marshal(taken[20]); !strings.Contains(string(raw), "6 DCS events: 3 failed, 3 stuck") {
		t.Fatalf("the 21st is no digest: %s", raw)
	}
	if got := clk.Now().Sub(start); got != time.Minute {
		t.Fatalf("the digest waited %s, want the minute", got)
	}
}

// TestUnpacedTheRobotSays45009: the fake holds the robot's limit; without the pace the
// 21st message of a minute is refused with 45009, which is retried.
func TestUnpacedTheRobotSays45009(t *testing.T) {
	clk := testutil.NewClock(time.Now())
	f := chatfake.NewWeCom(key)
	t.Cleanup(f.Close)
	f.SetNow(clk.Now)
	s, err := wecom.New(wecom.Options{Name: "ops", URL: secret.Secret(f.URL()), Client: f.Client()})
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if _, err := s.Send(t.Context(), []event.Event{sample(t, "switchover-started")}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = s.Send(t.Context(), []event.Event{sample(t, "switchover-started")})
	if r, ok := chat.IsRefused(err); !ok || r.Code != wecom.FreqLimited || retry.IsPermanent(err) {
		t.Fatalf("21st: %v, want a retryable 45009", err)
	}
}

func TestLinksAndTheLimitOfContent(t *testing.T) {
	f := chatfake.NewWeCom(key)
	t.Cleanup(f.Close)
	s := open(t, receiver.Deps{Links: []linktmpl.Link{{Text: "Console", URL: "https://console.example.com/dcs/{{.InstanceID}}"}}}, f.URL())
	e := sample(t, "switchover-failed")
	e.Data.Task = json.RawMessage(`{"id":"t1","name":"masterStandbySwapJob","status":"FAILED","error_code":"1","error_msg":"` + strings.Repeat("x", 5000) + `"}`)
	if _, err := s.Send(t.Context(), []event.Event{sample(t, "switchover-failed"), e}); err != nil {
		t.Fatalf("%v (refused %v)", err, f.Refused())
	}
	if len(f.Taken()) != 2 {
		t.Fatalf("took %d of 2: the long one was not cut to 4096 bytes (refused %v)", len(f.Taken()), f.Refused())
	}
	raw, _ := json.Marshal(f.Taken()[0])
	if !strings.Contains(string(raw), "[Console](https://console.example.com/dcs/2f4b9e2c") {
		t.Fatalf("no link: %s", raw)
	}
}

// TestGoldenMessages holds the message of each outcome, as once --render prints it.
func TestGoldenMessages(t *testing.T) {
	for _, name := range []string{"switchover-started", "switchover-succeeded", "switchover-failed", "stuck", "gap", "restored"} {
		t.Run(name, func(t *testing.T) {
			c := wecom.Config{Common: receiver.Common{Name: "ops"}, Webhook: chat.Webhook{URLEnv: "U"}}
			r, err := wecom.Spec.Render(t.Context(), &c, "wecom[0]", receiver.Deps{Now: now}, []event.Event{sample(t, name)})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Payloads) != 2 || r.Payloads[0] != "POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=REDACTED" {
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
