package webhook_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/msgtmpl"
	"notifier/internal/receiver"
	"notifier/internal/retry"
	"notifier/internal/secret"
	"notifier/internal/sinks/webhook"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// secretPath is the secret part of the webhook's URL.
const secretPath = "/hooks/S3cr3tT0k3n"

var (
	clock   = time.Date(2026, 12, 5, 1, 2, 3, 0, time.UTC)
	project = msgtmpl.Project{ID: "0123456789abcdef0123456789abcdef", Name: "prod-eu", Region: "cn-north-4"}
)

func sample(t *testing.T, name string) event.Event {
	t.Helper()
	e, err := msgtmpl.Sample(name, project, clock)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// hook is a subscriber's service: it keeps each request it gets, and answers with the
// next of answers (then 200).
type hook struct {
	*httptest.Server
	mu      sync.Mutex
	got     []*http.Request
	bodies  [][]byte
	answers []func(w http.ResponseWriter)
}

func newHook(t *testing.T, answers ...func(w http.ResponseWriter)) *hook {
	h := &hook{answers: answers}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got, h.bodies = append(h.got, r.Clone(context.Background())), append(h.bodies, b)
		var a func(http.ResponseWriter)
		if len(h.answers) > 0 {
			a, h.answers = h.answers[0], h.answers[1:]
		}
		h.mu.Unlock()
		if a != nil {
			a(w)
		}
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) request(t *testing.T, i int) (*http.Request, []byte) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if i >= len(h.got) {
		t.Fatalf("the hook got %d requests, want at least %d", len(h.got), i+1)
	}
	r := h.got[i]
	r.Body = io.NopCloser(bytes.NewReader(h.bodies[i]))
	return r, h.bodies[i]
}

func sink(url string, c webhook.Config, o webhook.Options) *webhook.Sink {
	c.Name = "hook"
	o.Config, o.URL = c, secret.Secret(url)
	return webhook.New(o)
}

// A subscriber reads what the webhook sends with the CNCF CloudEvents SDK, in both modes,
// and gets the event as NATS carries it.
func TestASubscriberReadsTheCloudEventWithTheSDK(t *testing.T) {
	for _, mode := range []string{webhook.Structured, webhook.Binary} {
		t.Run(mode, func(t *testing.T) {
			h := newHook(t)
			e := sample(t, "switchover-failed")
			s := sink(h.URL+secretPath, webhook.Config{Mode: mode}, webhook.Options{})
			if n, err := s.Send(t.Context(), []event.Event{e}); n != 1 || err != nil {
				t.Fatalf("Send = %d, %v", n, err)
			}
			r, _ := h.request(t, 0)
			if r.Method != http.MethodPost {
				t.Errorf("method %s", r.Method)
			}
			ct := r.Header.Get("Content-Type")
			if mode == webhook.Structured && !strings.HasPrefix(ct, "application/cloudevents+json") ||
				mode == webhook.Binary && (ct != "application/json" || r.Header.Get("ce-id") != e.ID) {
				t.Errorf("Content-Type %q, ce-id %q", ct, r.Header.Get("ce-id"))
			}
			got, err := cehttp.NewEventFromHTTPRequest(r)
			if err != nil {
				t.Fatalf("the SDK cannot read it: %v", err)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("not a valid CloudEvent: %v", err)
			}
			if got.SpecVersion() != "1.0" || got.ID() != e.ID || got.Source() != e.Source || got.Type() != e.Type ||
				got.Subject() != e.Subject || !got.Time().Equal(e.Time) || got.DataContentType() != "application/json" {
				t.Errorf("attributes %s, want those of %+v", got.Context, e)
			}
			var data event.Data
			if err := got.DataAs(&data); err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(e.Data)
			if have, _ := json.Marshal(data); !bytes.Equal(have, want) {
				t.Errorf("data\n%s\nwant\n%s", have, want)
			}
		})
	}
}

// verify is the Go snippet of docs/receivers.md, as a subscriber would copy it (a test
// below holds the two to each other).
func verify(secret []byte, r *http.Request, body []byte) bool {
	ts := r.Header.Get("X-Notifier-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(want), []byte(r.Header.Get("X-Notifier-Signature")))
}

func TestTheDocumentedSnippetIsTheOneTested(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/receivers.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(doc), "```go\nfunc verify(")
	block, _, _ = strings.Cut(block, "```")
	self, err := os.ReadFile("webhook_test.go")
	if err != nil {
		t.Fatal(err)
	}
	if !ok || !strings.Contains(string(self), "func verify("+block) {
		t.Error("docs/receivers.md's Go verification snippet is not verify in webhook_test.go")
	}
}

// A signed request verifies with the documented snippet, in both modes and with a
// template; with the wrong secret, another body or an old timestamp it does not.
func TestSignatureVerifiesAsDocumented(t *testing.T) {
	const key = "whsec-0123456789"
	h := newHook(t)
	tmpl := renderer(t, "{{.Label}} on {{.Instance}}")
	for _, o := range []struct {
		c webhook.Config
		o webhook.Options
	}{
		{webhook.Config{}, webhook.Options{}},
		{webhook.Config{Mode: webhook.Binary}, webhook.Options{}},
		{webhook.Config{}, webhook.Options{Template: tmpl}},
	} {
		o.o.SigningSecret = key
		if _, err := sink(h.URL, o.c, o.o).Send(t.Context(), []event.Event{sample(t, "switchover-succeeded")}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		r, body := h.request(t, i)
		if !verify([]byte(key), r, body) {
			t.Errorf("request %d: the signature does not verify: %v", i, r.Header)
		}
		if verify([]byte("another secret"), r, body) || verify([]byte(key), r, append(body, ' ')) {
			t.Errorf("request %d: verifies with another secret or body", i)
		}
		ts, _ := strconv.ParseInt(r.Header.Get(webhook.TimestampHeader), 10, 64)
		if want := webhook.Sign([]byte(key), strconv.FormatInt(ts, 10), body); r.Header.Get(webhook.SignatureHeader) != "sha256="+want {
			t.Errorf("request %d: signature %q, Sign gives %q", i, r.Header.Get(webhook.SignatureHeader), want)
		}
	}
	// An old request (a replay) is refused by the snippet.
	old := sink(h.URL, webhook.Config{}, webhook.Options{SigningSecret: key, Now: func() time.Time { return time.Now().Add(-time.Hour) }})
	if _, err := old.Send(t.Context(), []event.Event{sample(t, "gap")}); err != nil {
		t.Fatal(err)
	}
	if r, body := h.request(t, 3); verify([]byte(key), r, body) {
		t.Error("an hour-old timestamp verifies")
	}
	// Unsigned without a secret.
	if _, err := sink(h.URL, webhook.Config{}, webhook.Options{}).Send(t.Context(), []event.Event{sample(t, "gap")}); err != nil {
		t.Fatal(err)
	}
	if r, _ := h.request(t, 4); r.Header.Get(webhook.SignatureHeader) != "" || r.Header.Get(webhook.TimestampHeader) != "" {
		t.Errorf("an unsigned webhook signs: %v", r.Header)
	}
}

func renderer(t *testing.T, text string) *msgtmpl.Renderer {
	t.Helper()
	tp, err := msgtmpl.Parse("webhook[0].template", text, *webhook.Style)
	if err != nil {
		t.Fatal(err)
	}
	r, err := msgtmpl.NewRenderer(msgtmpl.Options{Template: tp, Receiver: "hook", Log: zerolog.Nop(), Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// PUT, the static headers, the headers_env ones and a template's body with its
// content type arrive as configured; in binary mode a templated body keeps the ce-*
// headers.
func TestMethodHeadersAndTemplate(t *testing.T) {
	h := newHook(t)
	c := webhook.Config{Method: http.MethodPut, Mode: webhook.Binary, ContentType: "application/json",
		Headers: map[string]string{"X-Team": "dcs"}}
	s := sink(h.URL, c, webhook.Options{Header: http.Header{"Authorization": {"Bearer t0ken"}}, Hidden: []string{"Bearer t0ken"},
		Template: renderer(t, `{"text": {{json .Label}}, "code": {{json .ErrorCode}}}`)})
	e := sample(t, "switchover-failed")
	if _, err := s.Send(t.Context(), []event.Event{e}); err != nil {
		t.Fatal(err)
	}
	r, body := h.request(t, 0)
	if r.Method != http.MethodPut || r.Header.Get("X-Team") != "dcs" || r.Header.Get("Authorization") != "Bearer t0ken" ||
		r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Ce-Id") != e.ID {
		t.Errorf("%s %v", r.Method, r.Header)
	}
	if want := `{"text": "Master/standby switchover failed", "code": "111400063"}`; string(body) != want {
		t.Errorf("body %s, want %s", body, want)
	}
	got, err := cehttp.NewEventFromHTTPRequest(r)
	if err != nil || got.ID() != e.ID || string(got.Data()) != string(body) {
		t.Errorf("the SDK reads %v, %v", got, err)
	}
}

// 2xx is success; 408, 429 (its Retry-After asked) and 5xx are retried; any other answer
// drops the event, its error showing the answer's first bytes and never the URL.
func TestAnswers(t *testing.T) {
	answer := func(code int, body string, h ...string) func(w http.ResponseWriter) {
		return func(w http.ResponseWriter) {
			for i := 0; i+1 < len(h); i += 2 {
				w.Header().Set(h[i], h[i+1])
			}
			w.WriteHeader(code)
			_, _ = io.WriteString(w, body)
		}
	}
	tests := []struct {
		name       string
		answer     func(w http.ResponseWriter)
		ok         bool
		permanent  bool
		asked      time.Duration
		wantInText string
	}{
		{name: "200", answer: answer(200, "ok"), ok: true},
		{name: "202", answer: answer(202, ""), ok: true},
		{name: "204", answer: answer(204, ""), ok: true},
		{name: "408", answer: answer(408, "slow")},
		{name: "429 with Retry-After", answer: answer(429, "slow down", "Retry-After", "7"), asked: 7 * time.Second},
		{name: "500", answer: answer(500, "boom")},
		{name: "503", answer: answer(503, "maintenance")},
		{name: "400", answer: answer(400, `{"error":"schema mismatch at `+secretPath+`"}`), permanent: true, wantInText: `HTTP 400 Bad Request: {"error":"schema mismatch at <secret>"}`},
		{name: "404", answer: answer(404, "no such hook"), permanent: true, wantInText: "HTTP 404 Not Found: no such hook"},
		{name: "401", answer: answer(401, "bad token"), permanent: true, wantInText: "bad token"},
		{name: "redirect", answer: answer(302, "", "Location", "https://elsewhere.example/"), permanent: true, wantInText: "redirects are not followed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHook(t, tt.answer)
			n, err := sink(h.URL+secretPath, webhook.Config{}, webhook.Options{}).Send(t.Context(), []event.Event{sample(t, "stuck"), sample(t, "gap")})
			if tt.ok {
				if n != 2 || err != nil {
					t.Fatalf("Send = %d, %v", n, err)
				}
				return
			}
			if n != 0 || err == nil {
				t.Fatalf("Send = %d, %v; want 0 and an error", n, err)
			}
			if retry.IsPermanent(err) != tt.permanent || retry.AskedDelay(err) != tt.asked {
				t.Errorf("%v: permanent %v, asked %v", err, retry.IsPermanent(err), retry.AskedDelay(err))
			}
			if !strings.Contains(err.Error(), tt.wantInText) || strings.Contains(fmt.Sprintf("%v %+v", err, errors.Unwrap(err)), "S3cr3t") {
				t.Errorf("error %q, want it to hold %q and no secret", err, tt.wantInText)
			}
		})
	}
}

// A webhook that cannot be reached is retried, and the error does not show the URL.
func TestUnreachableIsRetriedWithoutTheURL(t *testing.T) {
	h := newHook(t)
	h.Close()
	_, err := sink(h.URL+secretPath, webhook.Config{}, webhook.Options{}).Send(t.Context(), []event.Event{sample(t, "gap")})
	if err == nil || retry.IsPermanent(err) || strings.Contains(err.Error(), "S3cr3t") || strings.Contains(err.Error(), h.URL) {
		t.Errorf("Send = %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := sink(h.URL, webhook.Config{}, webhook.Options{}).Send(ctx, []event.Event{sample(t, "gap")}); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a done context = %v", err)
	}
}

// What once --render shows for each outcome, in each mode: the request line (the URL
// as where it comes from), the headers, and the body.
func TestRenderGolden(t *testing.T) {
	for _, mode := range []string{webhook.Structured, webhook.Binary} {
		for _, name := range []string{"switchover-started", "switchover-succeeded", "switchover-failed", "stuck", "gap", "restored"} {
			t.Run(mode+"/"+name, func(t *testing.T) {
				c := &webhook.Config{Common: receiver.Common{Name: "hook"}, URLEnv: "HOOK_URL", Mode: mode,
					Headers: map[string]string{"X-Team": "dcs"}, HeadersEnv: map[string]string{"Authorization": "HOOK_AUTH"},
					SigningSecretEnv: "HOOK_SECRET"}
				e := sample(t, name)
				rd, err := webhook.Spec.Render(t.Context(), c, "webhook[0]", receiver.Deps{Log: zerolog.Nop(), Now: clock}, []event.Event{e})
				if err != nil {
					t.Fatal(err)
				}
				if rd.Unit != "request" || rd.Units != 1 || len(rd.Payloads) != 2 {
					t.Fatalf("rendering %+v", rd)
				}
				var b strings.Builder
				b.WriteString(rd.Payloads[0].(string) + "\n\n")
				body, _ := json.MarshalIndent(rd.Payloads[1], "", "  ")
				b.Write(body)
				b.WriteString("\n")
				golden(t, mode+"-"+name, b.String())
			})
		}
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("%s changed:\n%s\nwant:\n%s", path, got, want)
	}
}

// A refusal that echoes a headers_env value or the URL shows neither in the error the
// dispatcher logs.
func TestRefusalEchoingSecretsShowsNone(t *testing.T) {
	const token = "Bearer t0ken-of-the-hook"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "refused "+r.Header.Get("Authorization")+" for "+r.URL.String(), http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	s := sink(srv.URL+secretPath, webhook.Config{}, webhook.Options{Header: http.Header{"Authorization": {token}}, Hidden: []string{token}})
	_, err := s.Send(t.Context(), []event.Event{sample(t, "gap")})
	if !retry.IsPermanent(err) || strings.Contains(err.Error(), "t0ken") || strings.Contains(err.Error(), "S3cr3t") ||
		!strings.Contains(err.Error(), "HTTP 401 Unauthorized: refused <secret>") {
		t.Errorf("Send = %v", err)
	}
	if got := fmt.Sprintf("%v %+v %#v", s, s, s); strings.Contains(got, "S3cr3t") || strings.Contains(got, "t0ken") {
		t.Errorf("the Sink prints a secret: %s", got)
	}
}
