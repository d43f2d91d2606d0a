package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/receiver"
	"notifier/internal/sinks/slacksink"
	"notifier/internal/testkit/natstest"
)

// slackHooks answers as Slack's incoming webhooks do: "ok" on the paths of live hooks,
// 404 channel_not_found on a hook whose channel was archived, 404 no_service elsewhere.
// Every message a live hook accepted arrives on posts.
type slackHooks struct {
	*httptest.Server
	posts chan slack.WebhookMessage
}

const (
	liveHook = "/services/T0/B0/live"
	goneHook = "/services/T0/B1/gone"
)

func newSlackHooks(t *testing.T) *slackHooks {
	t.Helper()
	s := &slackHooks{posts: make(chan slack.WebhookMessage, 10)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var msg slack.WebhookMessage
		switch {
		case r.Method != http.MethodPost || json.Unmarshal(body, &msg) != nil:
			http.Error(w, "invalid_payload", http.StatusBadRequest)
		case r.URL.Path == goneHook:
			http.Error(w, "channel_not_found", http.StatusNotFound)
		case r.URL.Path == liveHook:
			s.posts <- msg
			_, _ = io.WriteString(w, "ok")
		default:
			http.Error(w, "no_service", http.StatusNotFound)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// drillConfig has NATS (JetStream) and two webhooks whose filters the test event would
// never pass: oncall, live, and team, whose channel is gone.
func drillConfig(t *testing.T, natsURL string) (*config.Config, map[string]string, *slackHooks) {
	t.Helper()
	hooks := newSlackHooks(t)
	c := config.Default()
	c.DCS.Projects = []config.Project{{Region: "cn-north-4", ProjectID: project}}
	c.NATS.URL = natsURL
	c.NATS.JetStream = true
	c.Slack.Webhooks = []slacksink.WebhookConfig{
		{Common: receiver.Common{Name: "oncall", MinSeverity: "critical", TaskNames: []string{event.SwitchoverTask}, MaxPending: 10}, URLEnv: "HOOK_ONCALL"},
		{Common: receiver.Common{Name: "team", MinSeverity: "info", Statuses: []string{"FAILED"}, MaxPending: 10}, URLEnv: "HOOK_TEAM"},
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOOK_ONCALL": hooks.URL + liveHook, "HOOK_TEAM": hooks.URL + goneHook}
	return &c, env, hooks
}

func drillDeps(t *testing.T, env map[string]string) app.Deps {
	return app.Deps{Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), Version: "test",
		Getenv: func(k string) string { return env[k] }}
}

// TestSendTestReachesEveryReceiver: the test event reaches NATS (subject
// dcs.tasks._notifier.test, type ...notifier.test, stored in the stream with its id as
// Nats-Msg-Id) and every webhook whatever its filters; a refused one is reported as
// Slack refused it.
func TestSendTestReachesEveryReceiver(t *testing.T) {
	srv := natstest.RunJetStream(t)
	nc, js := natstest.Connect(t, srv)
	sub, err := nc.SubscribeSync("dcs.tasks.>")
	if err != nil {
		t.Fatal(err)
	}
	cfg, env, hooks := drillConfig(t, srv.ClientURL())

	results, err := app.SendTest(t.Context(), cfg, drillDeps(t, env), nil)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, r := range results {
		lines = append(lines, r.String())
	}
	want := []string{"nats: ok", "oncall: ok", "team: failed: HTTP 404 channel_not_found"}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("results:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}

	msg, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Subject != "dcs.tasks._notifier.test" {
		t.Errorf("subject %q, want dcs.tasks._notifier.test", msg.Subject)
	}
	var e event.Event
	if err := json.Unmarshal(msg.Data, &e); err != nil {
		t.Fatal(err)
	}
	if e.Type != "com.huaweicloud.dcs.notifier.test" || e.Data.ProjectID != project {
		t.Errorf("event type %q, project %q", e.Type, e.Data.ProjectID)
	}
	if id := msg.Header.Get(jetstream.MsgIDHeader); id != e.ID || id == "" {
		t.Errorf("Nats-Msg-Id %q, event id %q", id, e.ID)
	}
	stream, err := js.Stream(t.Context(), cfg.NATS.Stream)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := stream.GetLastMsgForSubject(t.Context(), "dcs.tasks._notifier.test")
	if err != nil {
		t.Fatal(err)
	}
	if stored.Header.Get(jetstream.MsgIDHeader) != e.ID {
		t.Errorf("stream holds Nats-Msg-Id %q, want %q", stored.Header.Get(jetstream.MsgIDHeader), e.ID)
	}

	post := <-hooks.posts
	if !strings.HasPrefix(post.Text, "[TEST]") {
		t.Errorf("Slack headline %q does not start with [TEST]", post.Text)
	}

	// A second drill is a new message in the stream, not a duplicate of the first.
	if _, err := app.SendTest(t.Context(), cfg, drillDeps(t, env), []string{"nats"}); err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 {
		t.Errorf("stream holds %d messages after two drills, want 2", info.State.Msgs)
	}
}

// TestSendTestOnlyNamed: with names, only those receivers are opened and sent to: another
// receiver's missing secret does not matter, and NATS gets nothing.
func TestSendTestOnlyNamed(t *testing.T) {
	srv := natstest.RunJetStream(t)
	nc, _ := natstest.Connect(t, srv)
	sub, err := nc.SubscribeSync("dcs.tasks.>")
	if err != nil {
		t.Fatal(err)
	}
	cfg, env, hooks := drillConfig(t, srv.ClientURL())
	delete(env, "HOOK_TEAM")

	results, err := app.SendTest(t.Context(), cfg, drillDeps(t, env), []string{"oncall"})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].String() != "oncall: ok" {
		t.Fatalf("results %v, want [oncall: ok]", results)
	}
	<-hooks.posts
	// Nothing went to NATS: the first message on the subscription is the marker
	// published after the drill.
	if err := nc.Publish("dcs.tasks.marker", nil); err != nil {
		t.Fatal(err)
	}
	msg, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Subject != "dcs.tasks.marker" {
		t.Errorf("NATS got %s, though only oncall was named", msg.Subject)
	}
}

func TestSendTestRefuses(t *testing.T) {
	cfg, env, _ := drillConfig(t, "")
	cfg.NATS.URL, cfg.NATS.JetStream = "", false
	tests := []struct {
		name  string
		env   map[string]string
		names []string
		want  string
	}{
		{name: "unknown receiver", env: env, names: []string{"oncall", "pager"}, want: `unknown receiver "pager" (configured: oncall, team)`},
		{name: "nats not configured", env: env, names: []string{"nats"}, want: `unknown receiver "nats" (configured: oncall, team)`},
		{name: "misspelt", env: env, names: []string{"oncal"}, want: `unknown receiver "oncal" (configured: oncall, team); did you mean "oncall"?`},
		{name: "missing secret", env: map[string]string{"HOOK_ONCALL": env["HOOK_ONCALL"]}, names: []string{"team"},
			want: "slack.webhooks[1].url_env: secret: environment variable HOOK_TEAM is empty or unset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := app.SendTest(t.Context(), cfg, drillDeps(t, tt.env), tt.names)
			var se *app.SetupError
			if !errors.As(err, &se) || err.Error() != tt.want {
				t.Fatalf("error %v (%T), want the setup error %q", err, err, tt.want)
			}
		})
	}
}

// TestSendTestNATSDown: a NATS server that is not there fails its line once ctx ends; the
// webhooks are not held up by it.
func TestSendTestNATSDown(t *testing.T) {
	// A port that refuses NATS: every connection is closed at once. (A port freed by a
	// stopped server could be taken by another test's server meanwhile.)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	cfg, env, _ := drillConfig(t, "nats://"+ln.Addr().String())
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	results, err := app.SendTest(ctx, cfg, drillDeps(t, env), []string{"nats", "oncall"})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || results[0].Err == nil || !strings.HasPrefix(results[0].String(), "nats: failed: ") ||
		results[1].String() != "oncall: ok" {
		t.Fatalf("results %v", results)
	}
}
