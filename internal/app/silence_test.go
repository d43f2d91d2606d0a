package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	promtest "github.com/prometheus/client_golang/prometheus/testutil"

	"notifier/internal/dcssim"
	"notifier/internal/event"
	"notifier/internal/metrics"
	"notifier/internal/receiver"
	"notifier/internal/silence"
	"notifier/internal/sinks/pagerduty"
	"notifier/internal/sinks/slacksink"
	"notifier/internal/status"
	"notifier/internal/testkit/oncalltest"
	"notifier/internal/testkit/testutil"
	"notifier/internal/web"
)

// silencedBy hears NATS: for each "task:status", the event's data.silenced_by.
type silencedBy struct {
	mu  sync.Mutex
	got map[string]map[string]string
}

func hearSilences(t *testing.T, url string) *silencedBy {
	t.Helper()
	s := &silencedBy{got: map[string]map[string]string{}}
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if _, err := nc.Subscribe("dcs.tasks.>", func(m *nats.Msg) {
		var e event.Event
		if json.Unmarshal(m.Data, &e) == nil {
			s.mu.Lock()
			s.got[e.Subject+":"+e.Data.Status] = e.Data.SilencedBy
			s.mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *silencedBy) of(key string) (map[string]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.got[key]
	return v, ok
}

// postSilence adds a silence through the API at base; it returns its id.
func postSilence(t *testing.T, base string, s silence.Silence) string {
	t.Helper()
	b, _ := json.Marshal(s)
	resp, err := http.Post(base+web.SilencesPath, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var added silence.Silence
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &added) != nil {
		t.Fatalf("POST silence: %s %s", resp.Status, body)
	}
	return added.ID
}

func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// A silence added through the API keeps new events from the receivers it matches: the
// Slack webhook gets nothing, NATS gets every event with silenced_by naming the silence,
// an on-call receiver still resolves the incident it opened before but opens none; the
// silenced deliveries are counted and shown on the status page, with the silence. It
// survives a restart (file state).
func TestSilenceKeepsReceiversButNATSAndLetsAnIncidentResolve(t *testing.T) {
	p := newPipeline(t, false)
	hk, hookURL := newHook(t)
	pd := oncalltest.NewPagerDuty(t)
	p.cfg.Slack.Webhooks = []slacksink.WebhookConfig{{Common: receiver.Common{Name: "oncall", MaxPending: 100}, URLEnv: "ONCALL"}}
	p.cfg.PagerDuty = []pagerduty.Config{{Common: receiver.Common{Name: "pd", MinSeverity: "critical", MaxPending: 100}, RoutingKeyEnv: "PD", URL: pd.URL()}}
	p.cfg.HTTP.Listen = testutil.FreePort(t)
	base := "http://" + p.cfg.HTTP.Listen
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "test")
	rec := status.NewRecorder(0)
	deps := p.deps(reg)
	deps.Metrics, deps.Status = m, rec
	env := map[string]string{"CLOUD_SDK_AK": pipeAK, "CLOUD_SDK_SK": pipeSK, "ONCALL": hookURL, "PD": oncalltest.RoutingKey}
	deps.Getenv = func(k string) string { return env[k] }
	heard := hearSilences(t, p.ns.URL())
	stop := p.startWith(deps)
	defer func() { stop() }()
	put := func(id, instance, status string) {
		p.sim.Put(pipeProject, dcssim.Task{ID: id, Name: event.SwitchoverTask, Status: status, CreatedAt: time.Now().UTC(),
			UserName: "ops", JobID: "job-" + id, Extra: map[string]any{"instance_id": instance}})
	}

	// Before the silence: a failed switchover pages.
	put("swap-1", "inst-1", "RUNNING")
	testutil.Eventually(t, "swap-1 running on NATS", func() bool { _, ok := heard.of("swap-1:RUNNING"); return ok })
	p.set("swap-1", "FAILED")
	testutil.Eventually(t, "the page", func() bool { return len(pd.Events()) == 1 })

	now := time.Now().UTC()
	id := postSilence(t, base, silence.Silence{Matchers: silence.Matchers{TaskName: "masterStandby*"},
		EndsAt: now.Add(time.Hour), CreatedBy: "alice", Comment: "planned failover test"})

	// During it: the retry on the same instance succeeds; PagerDuty resolves, Slack hears nothing.
	put("swap-2", "inst-1", "RUNNING")
	testutil.Eventually(t, "swap-2 running on NATS", func() bool { _, ok := heard.of("swap-2:RUNNING"); return ok })
	p.set("swap-2", "SUCCESS")
	testutil.Eventually(t, "the resolve", func() bool { return len(pd.Events()) == 2 })
	if ev := pd.Events()[1]; ev.EventAction != "resolve" || ev.DedupKey != "dcs/"+pipeProject+"/swap-1" {
		t.Errorf("PagerDuty got %s %s, want the resolve of swap-1", ev.EventAction, ev.DedupKey)
	}
	// A new failure on another instance opens nothing.
	put("swap-3", "inst-2", "FAILED")
	testutil.Eventually(t, "swap-3 decided for pd", func() bool {
		for _, e := range rec.Recent() {
			if e.TaskID == "swap-3" && strings.Contains(deliveryStates(e), "pd:") && !strings.Contains(deliveryStates(e), "pd:pending") {
				return true
			}
		}
		return false
	})
	if n := len(pd.Events()); n != 2 {
		t.Errorf("PagerDuty got %d events, want 2: a failure during the silence opens no incident", n)
	}
	testutil.Eventually(t, "swap-3 on NATS", func() bool { _, ok := heard.of("swap-3:FAILED"); return ok })
	for _, key := range []string{"swap-2:RUNNING", "swap-2:SUCCESS", "swap-3:FAILED", "swap-1:FAILED"} {
		testutil.Eventually(t, key+" on NATS", func() bool { _, ok := heard.of(key); return ok })
	}
	for _, key := range []string{"swap-2:RUNNING", "swap-2:SUCCESS", "swap-3:FAILED"} {
		if by, _ := heard.of(key); by["oncall"] != id || by["pd"] != id || len(by) != 2 {
			t.Errorf("%s on NATS says silenced_by %v, want oncall and pd by %s", key, by, id)
		}
	}
	if by, _ := heard.of("swap-1:FAILED"); by != nil {
		t.Errorf("swap-1, before the silence, says silenced_by %v", by)
	}
	if n := hk.count("swap-2") + hk.count("swap-3"); n != 0 {
		t.Errorf("Slack got %d posts about tasks of the silence", n)
	}
	if got := promtest.ToFloat64(m.Deliveries.WithLabelValues("oncall", "silenced")); got != 3 {
		t.Errorf(`notifier_deliveries_total{receiver="oncall",result="silenced"} = %v, want 3`, got)
	}
	if got := promtest.ToFloat64(m.Deliveries.WithLabelValues("nats", "silenced")); got != 0 {
		t.Errorf("nats silenced = %v", got)
	}
	if got := deliveryStates(findEvent(t, rec, "swap-3", "new: FAILED")); !strings.Contains(got, "oncall:silenced("+id+")") {
		t.Errorf("status of a silenced event: %s", got)
	}
	var page status.Page
	if err := json.Unmarshal([]byte(getBody(t, base+"/status?format=json")), &page); err != nil || len(page.Silences) != 1 ||
		page.Silences[0].ID != id || page.Silences[0].CreatedBy != "alice" {
		t.Errorf("status page silences: %+v (%v)", page.Silences, err)
	}
	if html := getBody(t, base+"/"); !strings.Contains(html, "oncall: silenced ("+id+")") || !strings.Contains(html, "planned failover test") {
		t.Errorf("the status page does not show the silence and the silenced delivery")
	}

	// A restart keeps it.
	stop()
	stop = p.startWith(deps)
	if l := getBody(t, base+web.SilencesPath); !strings.Contains(l, id) {
		t.Errorf("after a restart the API lists %s", l)
	}
	put("swap-4", "inst-3", "RUNNING")
	testutil.Eventually(t, "swap-4 on NATS", func() bool { _, ok := heard.of("swap-4:RUNNING"); return ok })
	if by, _ := heard.of("swap-4:RUNNING"); by["oncall"] != id {
		t.Errorf("after a restart swap-4 says silenced_by %v", by)
	}
}

// A silence ends at its ends_at on the notifier's clock (a fake one here): the task's
// next event, committed then, reaches Slack, and the page lists no active silence.
func TestSilenceExpiresAtEndsAt(t *testing.T) {
	p := newPipeline(t, false)
	hk, hookURL := newHook(t)
	p.cfg.Slack.Webhooks = []slacksink.WebhookConfig{{Common: receiver.Common{Name: "oncall", MaxPending: 100}, URLEnv: "ONCALL"}}
	p.cfg.HTTP.Listen = testutil.FreePort(t)
	base := "http://" + p.cfg.HTTP.Listen
	clock := testutil.NewClock(time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC))
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "test")
	deps := p.deps(reg)
	deps.Metrics, deps.Now = m, clock.Now
	env := map[string]string{"CLOUD_SDK_AK": pipeAK, "CLOUD_SDK_SK": pipeSK, "ONCALL": hookURL}
	deps.Getenv = func(k string) string { return env[k] }
	heard := hearSilences(t, p.ns.URL())
	stop := p.startWith(deps)
	defer stop()

	endsAt := clock.Now().Add(time.Hour)
	id := postSilence(t, base, silence.Silence{Matchers: silence.Matchers{TaskName: "EXTEND"}, EndsAt: endsAt,
		CreatedBy: "alice", Comment: "resize window"})
	p.put("grow", "EXTEND", "RUNNING")
	testutil.Eventually(t, "the running task silenced", func() bool {
		return promtest.ToFloat64(m.Deliveries.WithLabelValues("oncall", "silenced")) == 1
	})
	testutil.Eventually(t, "grow:RUNNING on NATS", func() bool { _, ok := heard.of("grow:RUNNING"); return ok })
	if by, _ := heard.of("grow:RUNNING"); by["oncall"] != id {
		t.Errorf("grow:RUNNING says silenced_by %v", by)
	}

	clock.Set(endsAt)
	p.set("grow", "SUCCESS")
	testutil.Eventually(t, "the success posted to Slack", func() bool { return hk.count("grow") == 1 })
	testutil.Eventually(t, "grow:SUCCESS on NATS", func() bool { _, ok := heard.of("grow:SUCCESS"); return ok })
	if by, _ := heard.of("grow:SUCCESS"); by != nil {
		t.Errorf("grow:SUCCESS, at ends_at, says silenced_by %v", by)
	}
	if got := promtest.ToFloat64(m.Deliveries.WithLabelValues("oncall", "silenced")); got != 1 {
		t.Errorf("silenced = %v after ends_at, want 1", got)
	}
	var page status.Page
	if err := json.Unmarshal([]byte(getBody(t, base+"/status?format=json")), &page); err != nil || page.Silences == nil || len(page.Silences) != 0 {
		t.Errorf("status page silences at ends_at: %+v (%v), want []", page.Silences, err)
	}
}
