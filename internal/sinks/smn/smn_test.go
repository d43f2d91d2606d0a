package smn_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/dcs"
	"notifier/internal/dcssim"
	"notifier/internal/event"
	"notifier/internal/msgtmpl"
	"notifier/internal/receiver"
	"notifier/internal/retry"
	"notifier/internal/sinks/smn"
	"notifier/internal/testkit/testutil"
)

const (
	testAK    = "HPUAEXAMPLEAK0000SMN"
	testSK    = "exampleSecretKey00000000000000000000SMN1"
	project   = "0123456789abcdef0123456789abcdef"
	topicName = "dcs-alerts"
)

var urn = "urn:smn:cn-north-4:" + project + ":" + topicName

// rig is the simulated SMN (dcssim, signatures checked) and an [[smn]] entry pointing
// at it, with its credential in the environment.
type rig struct {
	sim  *dcssim.Sim
	srv  *httptest.Server
	cfg  smn.Config
	env  map[string]string
	logs *testutil.SyncBuffer
}

func newRig(t *testing.T) *rig {
	t.Helper()
	sim := dcssim.New(dcssim.Options{AK: testAK, SK: testSK})
	sim.AddTopic(urn)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	cfg := smn.Config{TopicURN: urn, Endpoint: srv.URL, AKEnv: "SMN_AK", SKEnv: "SMN_SK"}
	cfg.Name = "smn-oncall"
	smn.Spec.Defaults(&cfg, func(string) bool { return false })
	return &rig{sim: sim, srv: srv, cfg: cfg, env: map[string]string{"SMN_AK": testAK, "SMN_SK": testSK},
		logs: &testutil.SyncBuffer{}}
}

func (r *rig) deps(budget *dcs.Budget) receiver.Deps {
	d := receiver.Deps{Log: zerolog.New(r.logs), Getenv: func(k string) string { return r.env[k] }}
	if budget != nil {
		d.Budget = func(dcs.Credentials, string) *dcs.Budget { return budget }
	}
	return d
}

func (r *rig) open(t *testing.T, d receiver.Deps) receiver.Opened {
	t.Helper()
	o, err := smn.Spec.Open(&r.cfg, "smn[0]", d)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func sample(t *testing.T, name string) event.Event {
	t.Helper()
	e, err := msgtmpl.Sample(name, msgtmpl.Project{ID: project, Name: "prod-eu", Region: "cn-north-4"},
		time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestPublishReadBackPerProtocol(t *testing.T) {
	r := newRig(t)
	o := r.open(t, r.deps(nil))
	e := sample(t, "switchover-failed")
	if n, err := o.Sink.Send(t.Context(), []event.Event{e}); n != 1 || err != nil {
		t.Fatalf("Send = %d, %v", n, err)
	}
	got := r.sim.Published()
	if len(got) != 1 {
		t.Fatalf("%d messages published, want 1", len(got))
	}
	m := got[0]
	if m.AK != testAK || m.ProjectID != project || m.TopicURN != urn {
		t.Errorf("published by %s to %s %s", m.AK, m.ProjectID, m.TopicURN)
	}
	if !strings.HasPrefix(m.Subject, "DCS: Master/standby switchover failed") || !strings.Contains(m.Subject, "prod-eu (cn-north-4)") {
		t.Errorf("subject %q", m.Subject)
	}
	for _, p := range []string{"default", "email"} {
		if !strings.Contains(m.Structure[p], "\nStatus: ") || !strings.Contains(m.Structure[p], "Event: "+e.ID) {
			t.Errorf("%s: not the full text: %q", p, m.Structure[p])
		}
	}
	if sms := m.Structure["sms"]; strings.Contains(sms, "\n") || len([]rune(sms)) > smn.MaxSMS || !strings.Contains(sms, "failed on redis-orders-prod") {
		t.Errorf("sms %q", sms)
	}
	for _, p := range []string{"http", "https"} {
		var ce event.Event
		if err := json.Unmarshal([]byte(m.Structure[p]), &ce); err != nil || ce.ID != e.ID || ce.Type != e.Type {
			t.Errorf("%s: not the CloudEvent (%v): %.200s", p, err, m.Structure[p])
		}
	}
}

func TestSubjectCutAtRuneBoundary(t *testing.T) {
	r := newRig(t)
	r.cfg.Template = `{{define "subject"}}` + strings.Repeat("切换", 200) + `{{end}}`
	o := r.open(t, r.deps(nil))
	if _, err := o.Sink.Send(t.Context(), []event.Event{sample(t, "switchover-started")}); err != nil {
		t.Fatal(err)
	}
	s := r.sim.Published()[0].Subject
	if len(s) > smn.MaxSubject || !strings.HasSuffix(s, "…") || !strings.HasPrefix(s, "切换") {
		t.Errorf("subject of %d bytes: %q", len(s), s)
	}
}

func TestRetryThrottledAndServerErrors(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusServiceUnavailable} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			r := newRig(t)
			b := dcs.NewBudget(dcs.BudgetOptions{PerSecond: 1000})
			o := r.open(t, r.deps(b))
			r.sim.InjectFault(dcssim.Fault{Status: status})
			evs := []event.Event{sample(t, "switchover-failed")}
			n, err := o.Sink.Send(t.Context(), evs)
			if n != 0 || err == nil || retry.IsPermanent(err) {
				t.Fatalf("Send = %d, %v; want a retryable error", n, err)
			}
			if throttled := b.Throttled(); (status == http.StatusTooManyRequests) != (throttled == 1) {
				t.Errorf("budget throttled %d times after HTTP %d", throttled, status)
			}
			if n, err := o.Sink.Send(t.Context(), evs); n != 1 || err != nil {
				t.Fatalf("retry: Send = %d, %v", n, err)
			}
			if len(r.sim.Published()) != 1 {
				t.Errorf("published %d", len(r.sim.Published()))
			}
		})
	}
}

func TestRetryAfterIsAsked(t *testing.T) {
	r := newRig(t)
	o := r.open(t, r.deps(nil))
	r.sim.InjectFault(dcssim.Fault{Status: http.StatusTooManyRequests, RetryAfter: "3"})
	_, err := o.Sink.Send(t.Context(), []event.Event{sample(t, "gap")})
	if d := retry.AskedDelay(err); d != 3*time.Second {
		t.Errorf("asked delay %v (%v), want 3s", d, err)
	}
}

func TestDropRefusalsWithCode(t *testing.T) {
	for _, tc := range []struct {
		name, code string
		change     func(r *rig)
	}{
		{"unknown topic", "SMN.0006", func(r *rig) { r.cfg.TopicURN = "urn:smn:cn-north-4:" + project + ":nope" }},
		{"wrong SK", "APIGW.0301", func(r *rig) { r.env["SMN_SK"] = testSK + "x" }},
		{"forbidden", "APIGW.0302", func(r *rig) { r.sim.InjectFault(dcssim.Fault{Status: http.StatusForbidden}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			tc.change(r)
			o := r.open(t, r.deps(nil))
			n, err := o.Sink.Send(t.Context(), []event.Event{sample(t, "switchover-failed")})
			if n != 0 || !retry.IsPermanent(err) || !strings.Contains(err.Error(), tc.code) {
				t.Fatalf("Send = %d, %v; want a permanent error with %s", n, err, tc.code)
			}
			logs := r.logs.String()
			if !strings.Contains(logs, tc.code) || !strings.Contains(logs, "dropped") {
				t.Errorf("log does not say the drop and the code:\n%s", logs)
			}
			for _, s := range []string{testSK, testAK} {
				if strings.Contains(logs, s) || strings.Contains(err.Error(), s) {
					t.Errorf("a secret is shown: %v\n%s", err, logs)
				}
			}
			if len(r.sim.Published()) != 0 {
				t.Error("published anyway")
			}
		})
	}
}

func TestProbe(t *testing.T) {
	r := newRig(t)
	if err := smn.Spec.Probe(t.Context(), &r.cfg, "smn[0]", r.deps(nil)); err != nil {
		t.Errorf("existing topic: %v", err)
	}
	r.cfg.TopicURN = "urn:smn:cn-north-4:" + project + ":missing-topic"
	err := smn.Spec.Probe(t.Context(), &r.cfg, "smn[0]", r.deps(nil))
	if err == nil || !strings.Contains(err.Error(), "smn[0].topic_urn") || !strings.Contains(err.Error(), "missing-topic") ||
		!strings.Contains(err.Error(), "SMN.0006") {
		t.Errorf("unknown topic: %v", err)
	}
	if n := len(r.sim.Published()); n != 0 {
		t.Errorf("the probe published %d messages", n)
	}
}

func TestDCSCredentialByDefault(t *testing.T) {
	r := newRig(t)
	r.cfg.AKEnv, r.cfg.SKEnv = "", ""
	d := r.deps(nil)
	d.DCSCredentials = func() (dcs.Credentials, error) { return dcs.Credentials{AK: testAK, SK: testSK}, nil }
	o := r.open(t, d)
	if _, err := o.Sink.Send(t.Context(), []event.Event{sample(t, "restored")}); err != nil {
		t.Fatal(err)
	}
	d.DCSCredentials = func() (dcs.Credentials, error) { return dcs.Credentials{}, errors.New("dcs.ak_env: not set") }
	if _, err := smn.Spec.Open(&r.cfg, "smn[0]", d); err == nil || !strings.Contains(err.Error(), "dcs.ak_env") {
		t.Errorf("open without the [dcs] credential: %v", err)
	}
}
