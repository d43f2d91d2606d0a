package app_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/event"
	"notifier/internal/receiver"
	"notifier/internal/sinks/slacksink"
	"notifier/internal/testkit/natstest"
	"notifier/internal/testkit/slackfake"
	"notifier/internal/testkit/testutil"
	"notifier/internal/web"
)

const (
	leakAK        = "LEAKTESTAKLEAKTESTAK"
	leakSK        = "leak-test-secret-key-0123456789abcdef"
	leakToken     = "leak-test-security-token-c2VjcmV0"
	leakNATSToken = "leak-test-nats-token-0123"
	leakHookPath  = "/services/T0LEAK/B0LEAK/leakWebhookSecret0123456789"
	leakBotToken  = "xoxb-0000-1111-leakBotTokenSecret0123"
)

// flakySlack answers as its mode says: "ok", "500", "429", or "drop" (closes the
// connection without an answer, which makes the client's error quote the URL).
type flakySlack struct {
	mode      atomic.Value
	ok        atomic.Int64
	throttled atomic.Int64
}

func (f *flakySlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	switch f.mode.Load().(string) {
	case "500":
		http.Error(w, "internal_error", http.StatusInternalServerError)
	case "429":
		f.throttled.Add(1)
		w.Header().Set("Retry-After", "1")
		http.Error(w, "rate_limited", http.StatusTooManyRequests)
	case "drop":
		if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
			c.Close()
		}
	default:
		f.ok.Add(1)
		_, _ = w.Write([]byte("ok"))
	}
}

// TestSecretsNeverExposed runs the whole pipeline with every kind of secret configured
// through API errors (401, 500, a truncated body), a NATS outage and Slack failures, with
// logging at trace level, and checks that no secret appears in any log line, in /metrics,
// in /readyz or on the status page.
func TestSecretsNeverExposed(t *testing.T) {
	p := newPipeline(t, true)
	p.ns.Stop()
	p.ns.Start(natstest.Token(leakNATSToken))
	slack := &flakySlack{}
	slack.mode.Store("500")
	slackSrv := httptest.NewServer(slack)
	defer slackSrv.Close()
	hook := slackSrv.URL + leakHookPath
	secrets := []string{leakAK, leakSK, leakToken, leakNATSToken, hook, leakHookPath, "leakWebhookSecret0123456789",
		leakBotToken, "leakBotTokenSecret0123"}
	// A Slack channel (bot token) that fails, throttles and refuses before it takes the cards.
	cards := slackfake.New(t, leakBotToken)
	cards.Fail("chat.postMessage", slackfake.Fault{Status: 500}, slackfake.Fault{Error: "ratelimited"},
		slackfake.Fault{Status: 429, RetryAfter: "1"}, slackfake.Fault{Error: "invalid_blocks"})

	sim := dcssim.New(dcssim.Options{AK: leakAK, SK: leakSK})
	sim.AddProject(pipeProject)
	api := httptest.NewServer(sim)
	defer api.Close()
	p.sim = sim
	p.cfg.DCS.Projects[0].Endpoint = api.URL
	p.cfg.NATS.URL = p.ns.URL()
	p.cfg.NATS.TokenEnv = "LEAK_NATS_TOKEN"
	p.cfg.Slack.Webhooks = []slacksink.WebhookConfig{{Common: receiver.Common{Name: "leak", MinSeverity: "info"}, URLEnv: "LEAK_SLACK_URL"}}
	p.cfg.Slack.Channels = []slacksink.ChannelConfig{{Common: receiver.Common{Name: "leak-card", MinSeverity: "info", MaxPending: 100}, BotTokenEnv: "LEAK_BOT_TOKEN", Channel: "C0LEAK0001", APIURL: cards.APIURL(), ThreadReplies: true}}
	p.cfg.Log.Level = "trace"
	p.cfg.Poll.MaxBackoff = config.Duration(time.Second)
	env := map[string]string{"CLOUD_SDK_AK": leakAK, "CLOUD_SDK_SK": leakSK, "CLOUD_SDK_SECURITY_TOKEN": leakToken,
		"LEAK_NATS_TOKEN": leakNATSToken, "LEAK_SLACK_URL": hook, "LEAK_BOT_TOKEN": leakBotToken}
	logs := &testutil.SyncBuffer{}
	reg := prometheus.NewRegistry()
	a, err := app.New(p.cfg, app.Deps{Log: zerolog.New(logs).Level(zerolog.TraceLevel), Registry: reg, Version: "test",
		Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	h := web.Handler(a, zerolog.Nop())
	var bodies []string
	scrape := func() {
		for _, path := range []string{"/metrics", "/readyz", "/healthz", "/", "/status?format=json"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			bodies = append(bodies, path+": "+rec.Body.String())
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	testutil.Eventually(t, "the first poll", func() bool { return metric(t, reg, "notifier_polls_total") > 0 })

	// API errors, each with a task change behind it.
	for i, f := range []dcssim.Fault{{Status: 401}, {Status: 500}, {Truncate: true}, {Status: 200, Body: "<html>login</html>"}} {
		sim.Put(pipeProject, dcssim.Task{ID: "t" + string(rune('a'+i)), Name: event.SwitchoverTask, Status: "RUNNING", CreatedAt: time.Now().UTC()})
		sim.InjectFault(f)
		want := float64(i + 1)
		testutil.Eventually(t, "the fault to be seen", func() bool { return metric(t, reg, "notifier_events_total") >= want })
		scrape()
	}
	// Slack fails every way, NATS goes away.
	testutil.Eventually(t, "a failed Slack delivery", func() bool { return metric(t, reg, "notifier_retries_total") > 0 })
	slack.mode.Store("drop")
	p.ns.Stop()
	sim.Put(pipeProject, dcssim.Task{ID: "late", Name: "EXTEND", Status: "FAILED", CreatedAt: time.Now().UTC()})
	testutil.Eventually(t, "the event while NATS is down", func() bool { return metric(t, reg, "notifier_events_total") >= 5 })
	testutil.Eventually(t, "readyz to see NATS down", func() bool {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return strings.Contains(rec.Body.String(), "nats: not connected")
	})
	scrape()
	slack.mode.Store("429")
	testutil.Eventually(t, "a 429 from Slack", func() bool { return slack.throttled.Load() > 0 })
	p.ns.Start()
	slack.mode.Store("ok")
	testutil.Eventually(t, "everything delivered", func() bool {
		return metric(t, reg, "notifier_pending_events") == 0 && slack.ok.Load() > 0 && len(cards.Top("C0LEAK0001")) > 0
	})
	scrape()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	all := logs.String()
	if strings.Count(all, "\n") < 20 {
		t.Fatalf("only %d log lines: the test did not exercise the pipeline", strings.Count(all, "\n"))
	}
	for i, s := range secrets {
		for _, l := range strings.Split(all, "\n") {
			if strings.Contains(l, s) {
				t.Errorf("secret #%d in a log line: %s", i, strings.ReplaceAll(l, s, "<SECRET>"))
			}
		}
		for _, b := range bodies {
			if strings.Contains(b, s) {
				t.Errorf("secret #%d in %s", i, strings.SplitN(b, ":", 2)[0])
			}
		}
	}
}

// TestInsecureSkipVerifyWarns: turning TLS verification off is logged as a warning at
// start; it is on otherwise.
func TestInsecureSkipVerifyWarns(t *testing.T) {
	for _, insecure := range []bool{false, true} {
		p := newPipeline(t, false)
		p.cfg.DCS.InsecureSkipVerify = insecure
		p.cfg.NATS.URL = "" // no connection whose callbacks log after Close
		logs := &testutil.SyncBuffer{}
		d := p.deps(prometheus.NewRegistry())
		d.Log = zerolog.New(logs)
		a, err := app.New(p.cfg, d)
		if err != nil {
			t.Fatal(err)
		}
		a.Close()
		warned := strings.Contains(logs.String(), `"level":"warn"`) && strings.Contains(logs.String(), "insecure_skip_verify")
		if warned != insecure {
			t.Errorf("insecure_skip_verify = %v: warned %v\n%s", insecure, warned, logs.String())
		}
	}
}

// TestHTTPListenDefaultsToLoopback: the metrics listener is not exposed unless asked.
func TestHTTPListenDefaultsToLoopback(t *testing.T) {
	host, _, err := net.SplitHostPort(config.Default().HTTP.Listen)
	if err != nil {
		t.Fatal(err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		t.Errorf("default http.listen host %q is not a loopback address", host)
	}
}
