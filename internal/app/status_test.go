package app_test

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/receiver"
	"notifier/internal/sinks/slacksink"
	"notifier/internal/status"
	"notifier/internal/testkit/natstest"
	"notifier/internal/web"
)

const (
	statusProject = "0123456789abcdef0123456789abcdef"
	swapTask      = "8abf0000000000000000000000000001"
	hostileTask   = "8abf0000000000000000000000000002"
	pausedTask    = "8abf0000000000000000000000000003"
	hostileName   = `<script>alert("x")</script>`
)

// statusApp is a notifier whose one project, prod-eu, has a switchover of redis-prod
// running for 40 minutes (past its configured 30-minute stuck threshold), a task with a
// hostile name and a task in a status the notifier does not know (PAUSED); the API keeps
// begin_time only, so the first poll learns it (an old task of the history shows start_time
// ignored). Its receivers are NATS, a webhook whose channel is gone (oncall, for the hostile
// task only) and one that wants only critical events (team). One cycle has run: the page has something to show.
// It returns the app and the handler serving it over real HTTP.
func statusApp(t *testing.T) (*app.App, *httptest.Server) {
	t.Helper()
	return statusAppWith(t, nil)
}

// statusAppWith is statusApp calling before, when set, on the App before its cycle.
func statusAppWith(t *testing.T, before func(*app.App)) (*app.App, *httptest.Server) {
	t.Helper()
	sim := dcssim.New(dcssim.Options{AK: testAK, SK: testSK, StartParam: "begin_time"})
	now := time.Now().UTC()
	sim.Put(statusProject, dcssim.Task{ID: swapTask, Name: "masterStandbySwapJob", Status: "RUNNING", CreatedAt: now.Add(-40 * time.Minute),
		Details: map[string]any{"instance_id": "2f4e0000-0000-0000-0000-000000000001", "instance_name": "redis-prod"}})
	sim.Put(statusProject, dcssim.Task{ID: pausedTask, Name: "EXTEND", Status: "PAUSED", CreatedAt: now.Add(-5 * time.Minute)})
	sim.Put(statusProject, dcssim.Task{ID: "8abf0000000000000000000000000009", Name: "EXTEND", Status: "SUCCESS", CreatedAt: now.Add(-72 * time.Hour)})
	sim.Put(statusProject, dcssim.Task{ID: hostileTask, Name: hostileName, Status: "RUNNING", CreatedAt: now.Add(-time.Minute)})
	api := httptest.NewServer(sim)
	t.Cleanup(api.Close)
	hooks := newSlackHooks(t)
	ns := natstest.RunJetStream(t, natstest.CoreOnly())

	cfg := config.Default()
	cfg.DCS.AKEnv, cfg.DCS.SKEnv, cfg.DCS.SecurityTokenEnv = "T_AK", "T_SK", ""
	cfg.DCS.Projects = []config.Project{{Name: "prod-eu", Region: "eu-west-101", ProjectID: statusProject, Endpoint: api.URL}}
	cfg.Poll.Initial = "notify"
	cfg.Stuck.After = map[string]config.Duration{"masterStandbySwapJob": config.Duration(30 * time.Minute)}
	cfg.State.Path = t.TempDir()
	cfg.NATS.URL = ns.ClientURL()
	cfg.Slack.Webhooks = []slacksink.WebhookConfig{
		// One event each: a webhook posts at most once a second.
		{Common: receiver.Common{Name: "oncall", TaskNames: []string{hostileName}, MaxPending: 100}, URLEnv: "T_ONCALL"},
		{Common: receiver.Common{Name: "team", MinSeverity: "critical", MaxPending: 100}, URLEnv: "T_TEAM"},
	}
	cfg.Shutdown.Timeout = config.Duration(5 * time.Second)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"T_AK": testAK, "T_SK": testSK, "T_ONCALL": hooks.URL + goneHook, "T_TEAM": hooks.URL + goneHook}
	a, err := app.New(&cfg, app.Deps{Log: zerolog.Nop(), Version: "test", Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if before != nil {
		before(a)
	}
	if err := a.Once(t.Context(), io.Discard); err != nil {
		t.Fatalf("Once: %v", err)
	}
	srv := httptest.NewServer(web.Handler(a, zerolog.Nop()))
	t.Cleanup(srv.Close)
	return a, srv
}

func fetch(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// ?format=json is the page's data in the documented shape: the project polled, its
// running tasks with their thresholds, each event with what became of it per receiver,
// and the receivers with their last success or error, never a URL.
func TestStatusJSON(t *testing.T) {
	_, srv := statusApp(t)
	resp, body := fetch(t, srv.URL+"/status?format=json")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /status?format=json: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if strings.Contains(body, "/services/") || strings.Contains(body, testSK) {
		t.Fatalf("the JSON shows a secret: %s", body)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &keys); err != nil {
		t.Fatal(err)
	}
	want := []string{"generated_at", "projects", "receivers", "recent_events", "running_tasks", "silences", "state_backend", "version"}
	if got := slices.Sorted(maps.Keys(keys)); !slices.Equal(got, want) {
		t.Errorf("top-level keys %v, want %v", got, want)
	}
	if string(keys["silences"]) != "[]" {
		t.Errorf("silences without any = %s, want []", keys["silences"])
	}
	var p status.Page
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}

	if len(p.Projects) != 1 {
		t.Fatalf("projects = %+v", p.Projects)
	}
	pr := p.Projects[0]
	if pr.Name != "prod-eu" || pr.ID != statusProject || pr.Region != "eu-west-101" || !pr.Polled || !pr.Up ||
		pr.LastSuccess == nil || pr.WindowParam != "begin_time" || !pr.WindowLearned || pr.RequestsPerPoll != 2 || pr.LastError != "" || pr.BlindSince != nil ||
		pr.IdleIntervalSeconds != config.Default().Poll.Interval.D().Seconds() || pr.IdleIntervalAuto {
		t.Errorf("project = %+v (want begin_time learned, in a trial page and a second one, the default idle interval)", pr)
	}

	if len(p.RunningTasks) != 3 {
		t.Fatalf("running tasks = %+v, want 3", p.RunningTasks)
	}
	swap, paused, other := p.RunningTasks[0], p.RunningTasks[1], p.RunningTasks[2] // oldest first
	if swap.ID != swapTask || swap.Label != "Master/standby switchover" || swap.Status != "RUNNING" || !swap.Stuck ||
		swap.ThresholdSeconds != 1800 || swap.ThresholdSource != "configured" || swap.RunningSeconds < 2400 || swap.Project != "prod-eu" ||
		swap.Instance != "redis-prod" || swap.UnknownStatus {
		t.Errorf("switchover = %+v", swap)
	}
	if paused.ID != pausedTask || paused.Status != "PAUSED" || !paused.UnknownStatus {
		t.Errorf("paused task = %+v, want its status flagged unknown", paused)
	}
	if other.Name != hostileName || other.Stuck || other.ThresholdSource != "default" || other.UnknownStatus {
		t.Errorf("other task = %+v", other)
	}

	byTransition := map[string]status.Event{}
	for _, e := range p.RecentEvents {
		byTransition[e.TaskID+" "+e.Transition] = e
	}
	states := func(e status.Event) map[string]string {
		m := map[string]string{}
		for _, d := range e.Deliveries {
			m[d.Receiver] = d.State
		}
		return m
	}
	created, ok := byTransition[hostileTask+" new: RUNNING"]
	if !ok {
		t.Fatalf("no created event of the hostile task among %+v", p.RecentEvents)
	}
	// info: oncall wants that task, team wants critical only.
	if got := states(created); !maps.Equal(got, map[string]string{"nats": "sent", "oncall": "dropped", "team": "filtered"}) {
		t.Errorf("created event deliveries %v", got)
	}
	if created.Severity != "info" || created.Project != "prod-eu" || created.Status != "RUNNING" || created.UnknownStatus || created.Instance != "" {
		t.Errorf("created event = %+v", created)
	}
	if e := byTransition[swapTask+" new: RUNNING"]; e.Instance != "redis-prod" || e.Status != "RUNNING" {
		t.Errorf("the switchover's event = %+v, want instance redis-prod and status RUNNING", e)
	}
	if e := byTransition[pausedTask+" new: PAUSED"]; e.Status != "PAUSED" || !e.UnknownStatus {
		t.Errorf("the paused task's event = %+v, want its status flagged unknown", e)
	}
	for _, e := range p.RecentEvents {
		if e.Type == "com.huaweicloud.dcs.task.stuck" && states(e)["team"] != "dropped" {
			t.Errorf("the critical stuck event was not routed to team: %v", states(e))
		}
	}

	wantRecv := map[string]string{"nats": "nats", "oncall": "slack", "team": "slack"}
	for _, r := range p.Receivers {
		if wantRecv[r.Name] != r.Kind || r.Pending != 0 {
			t.Errorf("receiver %+v", r)
		}
		switch r.Name {
		case "nats":
			if r.LastSuccess == nil || r.LastError != "" {
				t.Errorf("nats = %+v, want a success and no error", r)
			}
		case "oncall":
			if r.LastError != "HTTP 404 Not Found: channel_not_found" || r.LastErrorAt == nil {
				t.Errorf("oncall = %+v, want its 404", r)
			}
		}
	}
}

// The page is HTML at / and /status, served so that nothing but its own style runs.
func TestStatusHTML(t *testing.T) {
	_, srv := statusApp(t)
	for _, path := range []string{"/", "/status"} {
		resp, body := fetch(t, srv.URL+path)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("GET %s: CSP %q", path, resp.Header.Get("Content-Security-Policy"))
		}
		for _, want := range []string{"prod-eu", "Master/standby switchover", "STUCK", "&lt;script&gt;", "oncall: dropped",
			"redis-prod", "UNKNOWN STATUS", `<code>begin_time</code> <span class="dim">(learned)</span>`} {
			if !strings.Contains(body, want) {
				t.Errorf("GET %s lacks %q", path, want)
			}
		}
		if strings.Contains(body, "<script") {
			t.Errorf("GET %s holds a script element", path)
		}
	}
	if resp, _ := fetch(t, srv.URL+"/nothing-here"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nothing-here = %d, want 404", resp.StatusCode)
	}
}
