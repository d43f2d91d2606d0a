package feishu_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
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
	"notifier/internal/sinks/feishu"
	"notifier/internal/sinks/pace"
	"notifier/internal/testkit/chatfake"
	"notifier/internal/testkit/testutil"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var (
	now     = time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)
	project = msgtmpl.Project{ID: "0123456789abcdef0123456789abcdef", Name: "prod-eu", Region: "cn-north-4"}
)

func sample(t *testing.T, name string) event.Event {
	t.Helper()
	e, err := msgtmpl.Sample(name, project, now)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// open opens the receiver as the notifier does, through its registry entry, with the
// URL and secret in the environment.
func open(t *testing.T, c feishu.Config, env map[string]string) *chat.Sink {
	t.Helper()
	feishu.Spec.Defaults(&c, func(string) bool { return false })
	o, err := feishu.Spec.Open(&c, "feishu[0]", receiver.Deps{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	return o.Sink.(*chat.Sink)
}

func fake(t *testing.T, secret string) (*chatfake.Feishu, *chat.Sink) {
	t.Helper()
	f := chatfake.NewFeishu("6f1c6a3e-2b1d-4c8e-9f0a-123456789abc", secret)
	t.Cleanup(f.Close)
	c := feishu.Config{Common: receiver.Common{Name: "ops"}, Webhook: chat.Webhook{URLEnv: "FEISHU_URL"}}
	env := map[string]string{"FEISHU_URL": f.URL()}
	if secret != "" {
		c.SecretEnv, env["FEISHU_SECRET"] = "FEISHU_SECRET", secret
	}
	return f, open(t, c, env)
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	for _, c := range []struct{ name, entry, want string }{
		{"no url", `name = "f"`, "feishu[0]: exactly one of url_env and url_file must be set"},
		{"both urls", "name = \"f\"\nurl_env = \"U\"\nurl_file = \"/x\"", "feishu[0]: exactly one of url_env and url_file must be set"},
		{"secret pasted", "name = \"f\"\nurl_env = \"U\"\nsecret_env = \"abc def\"", "feishu[0].secret_env"},
		{"two secrets", "name = \"f\"\nurl_env = \"U\"\nsecret_env = \"S\"\nsecret_file = \"/s\"", "feishu[0].secret_env: set only one"},
		{"zero timeout", "name = \"f\"\nurl_env = \"U\"\ntimeout = \"0s\"", "feishu[0].timeout: must be positive"},
		{"timeout a number", "name = \"f\"\nurl_env = \"U\"\ntimeout = 10", "feishu[0].timeout: expected a duration string"},
		{"template part", "name = \"f\"\nurl_env = \"U\"\ntemplate = '{{nope .TaskName}}'", "feishu[0].template"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Load([]byte("[dcs]\nprojects = [{ project_id = \"0123456789abcdef0123456789abcdef\", region = \"cn-north-4\" }]\n\n[[feishu]]\n" + c.entry + "\n"))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestCheckNamesTheKeyNeverTheURL(t *testing.T) {
	c := feishu.Config{Common: receiver.Common{Name: "ops"}, Webhook: chat.Webhook{URLEnv: "FEISHU_URL"}}
	errs := feishu.Spec.Check(&c, "feishu[0]", func(string) string { return "not a url with token 12345678" })
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "feishu[0].url_env") || strings.Contains(errs[0].Error(), "12345678") {
		t.Fatalf("errs %v", errs)
	}
}

func TestSendsASignedCard(t *testing.T) {
	f, s := fake(t, "bot-secret")
	evs := []event.Event{sample(t, "switchover-failed")}
	if n, err := s.Send(t.Context(), evs); n != 1 || err != nil {
		t.Fatalf("Send = %d, %v; the fake refused %v", n, err, f.Refused())
	}
	got := f.Taken()
	if len(got) != 1 {
		t.Fatalf("the bot took %d messages", len(got))
	}
	raw, _ := json.Marshal(got[0])
	for _, want := range []string{`"template":"red"`, `"content":"Master/standby switchover failed"`,
		`**Task**\nmasterStandbySwapJob`, `**Error code**\n111400063`, `**Error message**\nThe master/standby switchover failed.`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("the card lacks %s:\n%s", want, raw)
		}
	}
}

func TestSignatureRefusedIsDroppedWithItsCode(t *testing.T) {
	f := chatfake.NewFeishu("6f1c6a3e-2b1d-4c8e-9f0a-123456789abc", "the-bots-secret")
	t.Cleanup(f.Close)
	s := open(t, feishu.Config{Common: receiver.Common{Name: "ops"}, Webhook: chat.Webhook{URLEnv: "U"}, Signed: chat.Signed{SecretEnv: "S"}},
		map[string]string{"U": f.URL(), "S": "a-wrong-secret"})
	n, err := s.Send(t.Context(), []event.Event{sample(t, "switchover-failed")})
	if n != 0 || !retry.IsPermanent(err) || !strings.Contains(err.Error(), "code 19021") {
		t.Fatalf("Send = %d, %v; want a permanent refusal with code 19021", n, err)
	}
	if strings.Contains(err.Error(), "6f1c6a3e") || strings.Contains(err.Error(), "secret") && strings.Contains(err.Error(), "a-wrong") {
		t.Fatalf("the error reveals the URL or the secret: %v", err)
	}
}

func TestTimestampAnHourOffIsRefused(t *testing.T) {
	f, s := fake(t, "bot-secret")
	f.SetNow(func() time.Time { return time.Now().Add(61 * time.Minute) })
	_, err := s.Send(t.Context(), []event.Event{sample(t, "switchover-failed")})
	if r, ok := chat.IsRefused(err); !ok || r.Code != chatfake.FeishuBadSign || !retry.IsPermanent(err) {
		t.Fatalf("err %v, want a permanent 19021", err)
	}
}

func TestRateLimitIsRetriedOtherCodesDropped(t *testing.T) {
	f, s := fake(t, "")
	evs := []event.Event{sample(t, "switchover-started")}
	f.Force(chatfake.Answer{Status: 200, Body: `{"code":11232,"msg":"frequency limited","data":{}}`},
		chatfake.Answer{Status: 429, Body: `{"code":11232,"msg":"frequency limited"}`},
		chatfake.Answer{Status: 502, Body: `bad gateway`})
	for i := range 3 {
		if n, err := s.Send(t.Context(), evs); n != 0 || err == nil || retry.IsPermanent(err) {
			t.Fatalf("attempt %d: Send = %d, %v; want a retryable error", i, n, err)
		}
	}
	if n, err := s.Send(t.Context(), evs); n != 1 || err != nil {
		t.Fatalf("after the limit: Send = %d, %v", n, err)
	}
	f.Keywords = []string{"a word no card holds"}
	n, err := s.Send(t.Context(), evs)
	if r, ok := chat.IsRefused(err); n != 0 || !ok || r.Code != chatfake.FeishuNoKeyword || !retry.IsPermanent(err) {
		t.Fatalf("Send = %d, %v; want a permanent 19024", n, err)
	}
}

func TestBurstIsOneDigestCard(t *testing.T) {
	f, s := fake(t, "")
	var evs []event.Event
	for range 6 {
		evs = append(evs, sample(t, "switchover-succeeded"), sample(t, "switchover-failed"))
	}
	if n, err := s.Send(t.Context(), evs); n != len(evs) || err != nil {
		t.Fatalf("Send = %d, %v", n, err)
	}
	got := f.Taken()
	raw, _ := json.Marshal(got)
	if len(got) != 1 || !strings.Contains(string(raw), "12 DCS events: 6 succeeded, 6 failed") || !strings.Contains(string(raw), `"template":"red"`) {
		t.Fatalf("took %d: %s", len(got), raw)
	}
}

func TestLinksAreButtons(t *testing.T) {
	f := chatfake.NewFeishu("6f1c6a3e-2b1d-4c8e-9f0a-123456789abc", "")
	t.Cleanup(f.Close)
	c := feishu.Config{Common: receiver.Common{Name: "ops"}, Webhook: chat.Webhook{URLEnv: "U"}}
	feishu.Spec.Defaults(&c, func(string) bool { return false })
	o, err := feishu.Spec.Open(&c, "feishu[0]", receiver.Deps{Getenv: func(string) string { return f.URL() },
		Links: []linktmpl.Link{{Text: "Console", URL: "https://console.example.com/dcs/{{.InstanceID}}"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Sink.Send(t.Context(), []event.Event{sample(t, "switchover-failed")}); err != nil {
		t.Fatalf("%v (refused %v)", err, f.Refused())
	}
	raw, _ := json.Marshal(f.Taken())
	if !strings.Contains(string(raw), `"tag":"button"`) || !strings.Contains(string(raw), "https://console.example.com/dcs/2f4b9e2c") {
		t.Fatalf("no button: %s", raw)
	}
}

// TestGoldenCards holds the card of each outcome, as once --render prints it.
func TestGoldenCards(t *testing.T) {
	for _, name := range []string{"switchover-started", "switchover-succeeded", "switchover-failed", "stuck", "gap", "restored"} {
		t.Run(name, func(t *testing.T) {
			c := feishu.Config{Common: receiver.Common{Name: "ops"}, Webhook: chat.Webhook{URLEnv: "U"}}
			r, err := feishu.Spec.Render(t.Context(), &c, "feishu[0]", receiver.Deps{Now: now}, []event.Event{sample(t, name)})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Payloads) != 2 || r.Payloads[0] != "POST https://open.feishu.cn/open-apis/bot/v2/hook/REDACTED" {
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

// TestTemplateShapesTitleAndBody: a template's title is the header, its body replaces the
// facts, values are escaped and mention writes Feishu's <at>.
func TestTemplateShapesTitleAndBody(t *testing.T) {
	f := chatfake.NewFeishu("6f1c6a3e-2b1d-4c8e-9f0a-123456789abc", "")
	t.Cleanup(f.Close)
	c := feishu.Config{Common: receiver.Common{Name: "ops",
		Template: `{{define "title"}}DCS {{.Label}}{{end}}{{define "body"}}{{mention "ou_0123"}} **{{.TaskName}}** {{.ErrorMessage}}{{end}}`}, Webhook: chat.Webhook{URLEnv: "U"}}
	s := open(t, c, map[string]string{"U": f.URL()})
	e := sample(t, "switchover-failed")
	e.Data.Task = json.RawMessage(`{"id":"t1","name":"masterStandbySwapJob","status":"FAILED","error_code":"1","error_msg":"<at user_id=\"all\"></at> boom"}`)
	if _, err := s.Send(t.Context(), []event.Event{e}); err != nil {
		t.Fatalf("%v (refused %v)", err, f.Refused())
	}
	card := f.Taken()[0]["card"].(map[string]any)
	title := card["header"].(map[string]any)["title"].(map[string]any)["content"]
	body := card["elements"].([]any)[0].(map[string]any)["text"].(map[string]any)["content"]
	if title != "DCS Master/standby switchover failed" {
		t.Errorf("title %q", title)
	}
	if want := `<at user_id="ou_0123"></at> **masterStandbySwapJob** &lt;at user_id="all"&gt;&lt;/at&gt; boom`; body != want {
		t.Errorf("body %q\nwant %q", body, want)
	}
}

// TestPacedToFiveASecond: ten messages in a row keep to the bot's 5 a second (waiting on a
// fake clock, no digest) and the bot never says "frequency limited"; without the pace its
// sixth in a second is refused with 11232, which is retried.
func TestPacedToFiveASecond(t *testing.T) {
	clk := testutil.NewClock(time.Now())
	f := chatfake.NewFeishu("6f1c6a3e-2b1d-4c8e-9f0a-123456789abc", "bot-secret")
	t.Cleanup(f.Close)
	f.SetNow(clk.Now)
	s, err := feishu.New(feishu.Options{Name: "ops", URL: secret.Secret(f.URL()), Secret: "bot-secret", Client: f.Client(), Now: clk.Now,
		Pace: pace.NewWindow(feishu.PerMinute, time.Minute, clk.Now, clk.Wait), Space: pace.NewWindow(feishu.PerSecond, time.Second, clk.Now, clk.Wait)})
	if err != nil {
		t.Fatal(err)
	}
	start := clk.Now()
	for i := range 10 {
		if n, err := s.Send(t.Context(), []event.Event{sample(t, "switchover-started")}); n != 1 || err != nil {
			t.Fatalf("message %d: %d, %v", i, n, err)
		}
	}
	if len(f.Taken()) != 10 || len(f.Refused()) != 0 || clk.Now().Sub(start) != time.Second {
		t.Fatalf("took %d, refused %v, waited %s", len(f.Taken()), f.Refused(), clk.Now().Sub(start))
	}

	unpaced, err := feishu.New(feishu.Options{Name: "ops", URL: secret.Secret(f.URL()), Secret: "bot-secret", Client: f.Client(), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Second)
	for i := range 5 {
		if _, err := unpaced.Send(t.Context(), []event.Event{sample(t, "switchover-started")}); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	_, err = unpaced.Send(t.Context(), []event.Event{sample(t, "switchover-started")})
	if r, ok := chat.IsRefused(err); !ok || r.Code != feishu.RateLimited || retry.IsPermanent(err) {
		t.Fatalf("sixth in a second: %v, want a retryable 11232", err)
	}
}

// TestEveryCardHoldsTheKeywordDCS: a bot whose security setting is the keyword "DCS", as
// the docs advise, takes every kind of card, a digest included.
func TestEveryCardHoldsTheKeywordDCS(t *testing.T) {
	f, s := fake(t, "")
	f.Keywords = []string{"DCS"}
	// Sent one after the other, past the bot's 5 a second, which only the delivery loop
	// paces (TestPacedToFiveASecond): the fake's clock moves a second at each look.
	start, looks := time.Now(), atomic.Int64{}
	f.SetNow(func() time.Time { return start.Add(time.Duration(looks.Add(1)) * time.Second) })
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
