package teams_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/linktmpl"
	"notifier/internal/msgtmpl"
	"notifier/internal/receiver"
	"notifier/internal/retry"
	"notifier/internal/secret"
	"notifier/internal/sinks/teams"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const secretQuery = "/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=S3cr3tS1gnature"

var (
	clock   = time.Date(2026, 12, 5, 1, 2, 3, 0, time.UTC)
	project = msgtmpl.Project{ID: "0123456789abcdef0123456789abcdef", Name: "prod-eu", Region: "cn-north-4"}
	links   = []linktmpl.Link{{Text: "Open in console", URL: "https://console.example.com/dcs/{{.InstanceID}}"}}
)

func sample(t *testing.T, name string) event.Event {
	t.Helper()
	e, err := msgtmpl.Sample(name, project, clock)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// workflows is a fake Teams Workflows webhook: it checks what Teams checks of a message
// (JSON, type message, Adaptive Card attachments with their required fields) and answers
// as Workflows does: 202 Accepted with no body, or the next of answers.
type workflows struct {
	*httptest.Server
	mu      sync.Mutex
	cards   []map[string]any
	answers []func(w http.ResponseWriter)
}

func newWorkflows(t *testing.T, answers ...func(w http.ResponseWriter)) *workflows {
	f := &workflows{answers: answers}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if msg := schemaError(r, b); msg != "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":{"code":"InvalidRequestContent","message":%q}}`, msg)
			return
		}
		f.mu.Lock()
		var a func(http.ResponseWriter)
		if len(f.answers) > 0 {
			a, f.answers = f.answers[0], f.answers[1:]
		}
		if a == nil {
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			f.cards = append(f.cards, m["attachments"].([]any)[0].(map[string]any)["content"].(map[string]any))
		}
		f.mu.Unlock()
		if a != nil {
			a(w)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(f.Close)
	return f
}

// schemaError is what is wrong with a request for Teams, or "".
func schemaError(r *http.Request, b []byte) string {
	var m struct {
		Type        string `json:"type"`
		Attachments []struct {
			ContentType string         `json:"contentType"`
			Content     map[string]any `json:"content"`
		} `json:"attachments"`
	}
	switch {
	case r.Method != http.MethodPost:
		return "method " + r.Method
	case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json"):
		return "content type " + r.Header.Get("Content-Type")
	case json.Unmarshal(b, &m) != nil:
		return "not JSON"
	case m.Type != "message" || len(m.Attachments) == 0:
		return "not a message with attachments"
	}
	for _, a := range m.Attachments {
		c := a.Content
		if a.ContentType != teams.CardContentType || c["type"] != "AdaptiveCard" || c["version"] == nil {
			return "not an Adaptive Card"
		}
		body, ok := c["body"].([]any)
		if !ok || len(body) == 0 {
			return "a card without body"
		}
		for _, el := range body {
			e, _ := el.(map[string]any)
			switch e["type"] {
			case "TextBlock":
				if s, _ := e["text"].(string); s == "" {
					return "a TextBlock without text"
				}
			case "FactSet":
				facts, _ := e["facts"].([]any)
				for _, f := range facts {
					f, _ := f.(map[string]any)
					if f["title"] == nil || f["value"] == nil {
						return "a fact without title or value"
					}
				}
			default:
				return fmt.Sprintf("unknown element %v", e["type"])
			}
		}
		actions, _ := c["actions"].([]any)
		for _, a := range actions {
			a, _ := a.(map[string]any)
			if a["type"] != "Action.OpenUrl" || a["url"] == nil || a["title"] == nil {
				return "an action that is not an Action.OpenUrl with url and title"
			}
		}
	}
	return ""
}

func newSink(t *testing.T, url string, tmpl *msgtmpl.Renderer) *teams.Sink {
	t.Helper()
	s, err := teams.New(teams.Options{Name: "teams-ops", URL: secret.Secret(url), Log: zerolog.Nop(), Links: links,
		Template: tmpl, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Every outcome posts a card Teams accepts, with the task's API name, the error of a
// failure, the headline's colour and the link buttons.
func TestCardsTeamsAccepts(t *testing.T) {
	f := newWorkflows(t)
	s := newSink(t, f.URL+secretQuery, nil)
	names := []string{"switchover-started", "switchover-succeeded", "switchover-failed", "stuck", "gap", "restored", "test"}
	var evs []event.Event
	for _, n := range names {
		evs = append(evs, sample(t, n))
	}
	if n, err := s.Send(t.Context(), evs); n != len(evs) || err != nil {
		t.Fatalf("Send = %d, %v", n, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.cards) != len(names) {
		t.Fatalf("%d cards", len(f.cards))
	}
	colors := []string{"Warning", "Good", "Attention", "Attention", "Warning", "Good", "Accent"}
	for i, c := range f.cards {
		raw, _ := json.Marshal(c)
		head := c["body"].([]any)[0].(map[string]any)
		if head["color"] != colors[i] {
			t.Errorf("%s: headline colour %v, want %s", names[i], head["color"], colors[i])
		}
		if names[i] == "test" && !strings.HasPrefix(head["text"].(string), "[TEST]") {
			t.Errorf("test card headline %q", head["text"])
		}
		if strings.HasPrefix(names[i], "switchover") || names[i] == "stuck" {
			if !strings.Contains(string(raw), `{"title":"Task","value":"masterStandbySwapJob"}`) ||
				!strings.Contains(string(raw), `"url":"https://console.example.com/dcs/2f4b9e2c-8d6a-4a51-9d3e-1c7a5b3e9f10"`) {
				t.Errorf("%s: no Task fact or no link button: %s", names[i], raw)
			}
		}
	}
	raw, _ := json.Marshal(f.cards[2])
	for _, want := range []string{`{"title":"Error code","value":"111400063"}`, `{"title":"Error","value":"The master/standby switchover failed."}`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("the failed card lacks %s: %s", want, raw)
		}
	}
}

// 202 is success; 429 (with Retry-After) and 5xx are retried; a 4xx drops the event, its
// error showing Teams' answer and never the URL.
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
		name      string
		answer    func(w http.ResponseWriter)
		permanent bool
		asked     time.Duration
		want      string
	}{
		{"429 with Retry-After", answer(429, `{"error":{"code":"TooManyRequests"}}`, "Retry-After", "12"), false, 12 * time.Second, "HTTP 429"},
		{"502", answer(502, "bad gateway"), false, 0, "HTTP 502"},
		{"400", answer(400, `{"error":{"code":"WorkflowTriggerIsNotEnabled"}}`), true, 0, "WorkflowTriggerIsNotEnabled"},
		{"404", answer(404, `{"error":{"code":"WorkflowNotFound"}}`), true, 0, "WorkflowNotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newWorkflows(t, tt.answer)
			n, err := newSink(t, f.URL+secretQuery, nil).Send(t.Context(), []event.Event{sample(t, "switchover-failed")})
			if n != 0 || err == nil || retry.IsPermanent(err) != tt.permanent || retry.AskedDelay(err) != tt.asked ||
				!strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "S3cr3t") {
				t.Errorf("Send = %d, %v (permanent %v, asked %v)", n, err, retry.IsPermanent(err), retry.AskedDelay(err))
			}
		})
	}
	// A retry after the 429 is accepted.
	f := newWorkflows(t, answer(429, "", "Retry-After", "1"))
	s := newSink(t, f.URL+secretQuery, nil)
	evs := []event.Event{sample(t, "gap")}
	if _, err := s.Send(t.Context(), evs); retry.AskedDelay(err) != time.Second {
		t.Fatalf("first Send = %v", err)
	}
	if n, err := s.Send(t.Context(), evs); n != 1 || err != nil {
		t.Errorf("the retry: %d, %v", n, err)
	}
}

// A template shapes the headline and adds a body; the rest stays the notifier's.
func TestTemplate(t *testing.T) {
	tp, err := msgtmpl.Parse("teams[0].template", `{{define "headline"}}@oncall {{.Label}}{{end}}{{define "body"}}Code {{.ErrorCode}}{{end}}`, *teams.Style)
	if err != nil {
		t.Fatal(err)
	}
	r, err := msgtmpl.NewRenderer(msgtmpl.Options{Template: tp, Receiver: "teams-ops", Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	f := newWorkflows(t)
	if _, err := newSink(t, f.URL, r).Send(t.Context(), []event.Event{sample(t, "switchover-failed"), sample(t, "test")}); err != nil {
		t.Fatal(err)
	}
	body := f.cards[0]["body"].([]any)
	if h := body[0].(map[string]any)["text"]; h != "@oncall Master/standby switchover failed" {
		t.Errorf("headline %q", h)
	}
	if b := body[2].(map[string]any)["text"]; b != "Code 111400063" {
		t.Errorf("body %q", b)
	}
	if h := f.cards[1]["body"].([]any)[0].(map[string]any)["text"].(string); !strings.HasPrefix(h, "[TEST] @oncall") {
		t.Errorf("a test's headline %q", h)
	}
}

// What once --render shows for each outcome: the request line and the message.
func TestRenderGolden(t *testing.T) {
	for _, name := range []string{"switchover-started", "switchover-succeeded", "switchover-failed", "stuck", "gap", "restored"} {
		t.Run(name, func(t *testing.T) {
			c := &teams.Config{Common: receiver.Common{Name: "teams-ops"}, URLEnv: "TEAMS_WEBHOOK_URL"}
			rd, err := teams.Spec.Render(t.Context(), c, "teams[0]", receiver.Deps{Log: zerolog.Nop(), Now: clock, Links: links},
				[]event.Event{sample(t, name)})
			if err != nil || rd.Units != 1 || len(rd.Payloads) != 2 || rd.Payloads[0] != "POST $TEAMS_WEBHOOK_URL" {
				t.Fatalf("Render = %+v, %v", rd, err)
			}
			got, _ := json.MarshalIndent(rd.Payloads[1], "", "  ")
			path := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if string(append(got, '\n')) != string(want) {
				t.Errorf("%s changed:\n%s", path, got)
			}
		})
	}
}

// Each mistake is an error naming its key; the environment check names the key and
// never shows the URL.
func TestConfig(t *testing.T) {
	const base = "[[dcs.projects]]\nregion = \"cn-north-4\"\nproject_id = \"0123456789abcdef0123456789abcdef\"\n[[teams]]\nname = \"teams-ops\"\n"
	for entry, want := range map[string]string{
		"":                                     "teams[0]: exactly one of url_env and url_file must be set",
		"url_env = \"A\"\nurl_file = \"/x\"":   "teams[0]: exactly one of url_env and url_file must be set",
		"url_env = \"https://x\"":              "teams[0].url_env: ",
		"url_env = \"A\"\ntimeout = \"1ms\"":   "teams[0].timeout: ",
		"url_env = \"A\"\ntemplate = \"{{.X\"": "teams[0].template: line 1: ",
	} {
		if _, err := config.Load([]byte(base + entry + "\n")); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: Load = %v, want %q", entry, err, want)
		}
	}
	c, err := config.Load([]byte(base + "url_env = \"TEAMS_URL\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Teams[0].Timeout.String() != "10s" || c.Teams[0].MinSeverity != "info" {
		t.Errorf("defaults %+v", c.Teams[0])
	}
	err = c.CheckEnvironment(func(string) string { return "teams.example/S3cr3t" })
	if err == nil || !strings.Contains(err.Error(), "teams[0].url_env: the URL in environment variable TEAMS_URL is not an absolute http(s) URL") ||
		strings.Contains(err.Error(), "S3cr3t") {
		t.Errorf("CheckEnvironment = %v", err)
	}
}

// An unreachable workflow is retried, and neither the error nor the Sink printed shows
// its URL.
func TestUnreachableIsRetriedWithoutTheURL(t *testing.T) {
	f := newWorkflows(t)
	f.Close()
	s := newSink(t, f.URL+secretQuery, nil)
	_, err := s.Send(t.Context(), []event.Event{sample(t, "gap")})
	if err == nil || retry.IsPermanent(err) || strings.Contains(err.Error(), "S3cr3t") || strings.Contains(err.Error(), f.URL) {
		t.Errorf("Send = %v", err)
	}
	if got := fmt.Sprintf("%v %+v %#v", s, s, s); strings.Contains(got, "S3cr3t") {
		t.Errorf("the Sink prints its URL: %s", got)
	}
}
