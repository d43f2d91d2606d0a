package alertmanager_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/confkit"
	"notifier/internal/event"
	"notifier/internal/linktmpl"
	"notifier/internal/receiver"
	"notifier/internal/retry"
	"notifier/internal/sinks/alertmanager"
	"notifier/internal/testkit/oncalltest"
	"notifier/internal/testkit/testutil"
)

const proj = "0123456789abcdef0123456789abcdef"

var t0 = time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)

type rig struct {
	s   *alertmanager.Sink
	mem *testutil.Memory
	clk *testutil.Clock
}

func newRig(t *testing.T, urls string, auth alertmanager.Auth, log zerolog.Logger) *rig {
	t.Helper()
	clk := testutil.NewClock(t0)
	s, err := alertmanager.New(alertmanager.Options{
		Config: alertmanager.Config{Common: receiver.Common{Name: "am", MinSeverity: "warning"}, URL: urls, ResendInterval: confkit.Duration(time.Minute), FailedTTL: confkit.Duration(24 * time.Hour)},
		Auth:   auth, Log: log, Now: clk.Now,
		Links: []linktmpl.Link{{Text: "Runbook", URL: "https://wiki.example.com/dcs/{{.TaskName}}"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{s: s, mem: testutil.NewMemory(), clk: clk}
}

func (r *rig) send(t *testing.T, evs ...event.Event) {
	t.Helper()
	if n, err := r.s.SendWith(t.Context(), evs, r.mem); err != nil || n != len(evs) {
		t.Fatalf("SendWith = %d, %v; want %d, nil", n, err, len(evs))
	}
}

func (r *rig) tick(t *testing.T) {
	t.Helper()
	if err := r.s.Tick(t.Context(), r.mem); err != nil {
		t.Fatalf("Tick: %v", err)
	}
}

func task(id, name, status, instance string, at time.Time) event.Event {
	raw, _ := json.Marshal(map[string]string{"id": id, "name": name, "status": status, "instance_id": instance})
	e := event.New(event.Transition{ProjectID: proj, Region: "cn-north-4", TaskID: id, TaskName: name, Status: status,
		Task: raw, Seq: 2, DetectedAt: at})
	e.Data.InstanceID, _ = event.Instance(raw)
	return e
}

// endsAt reports whether a ends at end.
func endsAt(a oncalltest.Alert, end time.Time) bool { return a.EndsAt != nil && a.EndsAt.Equal(end) }

func want(t *testing.T, got []string, w ...string) {
	t.Helper()
	if !slices.Equal(got, w) {
		t.Fatalf("active alerts %q, want %q", got, w)
	}
}

// A failed switchover pages; the retry on the same instance succeeds and the page ends.
// While active, it is sent with endsAt = now + 4 × resend_interval and every tick re-sends
// it so; the resolution has endsAt = now, and after it nothing more is sent.
func TestSwitchoverFailsAndItsRetryResolves(t *testing.T) {
	am := oncalltest.NewAlertmanager(t, "")
	r := newRig(t, am.URL(), alertmanager.Auth{}, zerolog.Nop())
	am.SetClock(r.clk.Now)
	r.send(t, task("t1", event.SwitchoverTask, "RUNNING", "inst-1", t0))
	want(t, am.Active(t0), "DCSSwitchover t1")
	_, last := am.Posted()
	a := last[0]
	if a.Labels["severity"] != "warning" || a.Labels["instance_id"] != "inst-1" || a.Labels["task_name"] != event.SwitchoverTask ||
		a.Labels["project_id"] != proj || a.Labels["region"] != "cn-north-4" || !a.StartsAt.Equal(t0) || !endsAt(a, t0.Add(4*time.Minute)) ||
		a.GeneratorURL != "https://wiki.example.com/dcs/masterStandbySwapJob" || a.Annotations["summary"] == "" {
		t.Fatalf("alert %+v", a)
	}

	r.clk.Add(time.Minute)
	r.send(t, task("t1", event.SwitchoverTask, "FAILED", "inst-1", r.clk.Now()))
	want(t, am.Active(r.clk.Now()), "DCSTaskFailed t1")

	// Re-sent while active, with its first startsAt.
	before, _ := am.Posted()
	r.clk.Add(time.Minute)
	r.tick(t)
	n, last := am.Posted()
	if n != before+1 || len(last) != 1 || last[0].Labels["alertname"] != "DCSTaskFailed" || !endsAt(last[0], r.clk.Now().Add(4*time.Minute)) ||
		!last[0].StartsAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("tick posted %d time(s), last %+v", n-before, last)
	}

	r.clk.Add(time.Minute)
	r.send(t, task("t2", event.SwitchoverTask, "SUCCESS", "inst-1", r.clk.Now()))
	want(t, am.Active(r.clk.Now()))
	_, last = am.Posted()
	if len(last) != 1 || last[0].EndsAt == nil || !last[0].EndsAt.Equal(r.clk.Now()) || last[0].Labels["task_id"] != "t1" {
		t.Fatalf("resolution %+v, want t1's alert ending now", last)
	}
	// Forgotten: ticks send nothing more.
	n, _ = am.Posted()
	r.tick(t)
	if m, _ := am.Posted(); m != n {
		t.Fatalf("a tick after the resolution posted %d time(s)", m-n)
	}
}

// An active alert lasts 4 × resend_interval without a re-send, whatever Alertmanager's
// resolve_timeout: a notifier stopped for 2 × resend_interval leaves it active throughout,
// and its first re-send after that continues it (no new firing). A notifier gone for good
// lets it end by itself.
func TestActiveAlertOutlivesAStop(t *testing.T) {
	am := oncalltest.NewAlertmanager(t, "")
	r := newRig(t, am.URL(), alertmanager.Auth{}, zerolog.Nop()) // resend_interval 1m
	am.SetClock(r.clk.Now)
	am.SetResolveTimeout(time.Minute) // the rule "resend_interval below resolve_timeout" no longer matters
	r.send(t, task("t1", "EXTEND", "FAILED", "", t0))
	for at := t0; !at.After(t0.Add(2 * time.Minute)); at = at.Add(10 * time.Second) {
		want(t, am.Active(at), "DCSTaskFailed t1")
	}
	want(t, am.Active(t0.Add(4*time.Minute))) // never re-sent: it ends by itself

	r.clk.Add(2 * time.Minute) // the restart
	r.tick(t)
	want(t, am.Active(r.clk.Now().Add(4*time.Minute-time.Second)), "DCSTaskFailed t1")
	if n := am.Fired("DCSTaskFailed", "t1"); n != 1 {
		t.Fatalf("fired %d times, want once: the re-send after the stop fired it anew", n)
	}
}

func TestNothingResolvesWhatWasNeverRaised(t *testing.T) {
	am := oncalltest.NewAlertmanager(t, "")
	r := newRig(t, am.URL(), alertmanager.Auth{}, zerolog.Nop())
	am.SetClock(r.clk.Now)
	r.send(t, task("t1", "EXTEND", "RUNNING", "", t0), task("t1", "EXTEND", "SUCCESS", "", t0), task("t2", "EXTEND", "CANCELLED", "", t0))
	if n, _ := am.Posted(); n != 0 {
		t.Fatalf("%d posts, want none", n)
	}
}

func TestStuckAndGapLifecycles(t *testing.T) {
	am := oncalltest.NewAlertmanager(t, "")
	r := newRig(t, am.URL(), alertmanager.Auth{}, zerolog.Nop())
	am.SetClock(r.clk.Now)
	stuck := event.NewStuck(event.Stuck{ProjectID: proj, Region: "cn-north-4", TaskID: "t1", TaskName: "EXTEND",
		Status: "RUNNING", Running: time.Hour, Threshold: 20 * time.Minute, Source: event.ThresholdLearned, DetectedAt: t0})
	gap := event.NewGap(event.Gap{ProjectID: proj, Region: "cn-north-4", BlindSince: t0, Reason: "HTTP 503", DetectedAt: t0})
	r.send(t, stuck, gap)
	want(t, am.Active(t0), "DCSTaskStuck t1", "DCSWatchGap ")

	// The gap escalates to critical: a new label set, so the warning one ends. The ticks
	// meanwhile keep the stuck alert active.
	for range 30 {
		r.clk.Add(time.Minute)
		r.tick(t)
	}
	esc := event.NewGap(event.Gap{ProjectID: proj, Region: "cn-north-4", BlindSince: t0, Escalated: true, DetectedAt: r.clk.Now()})
	r.send(t, esc)
	want(t, am.Active(r.clk.Now()), "DCSTaskStuck t1", "DCSWatchGap ")
	_, last := am.Posted()
	if len(last) != 2 || last[0].EndsAt == nil || last[1].Labels["severity"] != "critical" || !last[1].StartsAt.Equal(t0) {
		t.Fatalf("escalation posted %+v", last)
	}

	r.send(t, event.NewRestored(event.Restored{ProjectID: proj, Region: "cn-north-4", BlindSince: t0, BlindUntil: r.clk.Now(), Complete: true, DetectedAt: r.clk.Now()}))
	r.send(t, task("t1", "EXTEND", "SUCCESS", "", r.clk.Now()))
	want(t, am.Active(r.clk.Now()))
}

// A failure nothing retries ends after failed_ttl, once, and is forgotten.
func TestFailedTTL(t *testing.T) {
	am := oncalltest.NewAlertmanager(t, "")
	r := newRig(t, am.URL(), alertmanager.Auth{}, zerolog.Nop())
	am.SetClock(r.clk.Now)
	r.send(t, task("t1", "EXTEND", "FAILED", "", t0))
	r.clk.Add(23 * time.Hour)
	r.tick(t)
	want(t, am.Active(r.clk.Now()), "DCSTaskFailed t1")
	r.clk.Add(2 * time.Hour)
	r.tick(t)
	want(t, am.Active(r.clk.Now()))
	if got := r.mem.Recollect()[proj]; len(got) != 0 {
		t.Fatalf("still remembered: %v", got)
	}
}

// Each URL gets every alert; one that is down does not hold the others back.
func TestSeveralAlertmanagers(t *testing.T) {
	a, b := oncalltest.NewAlertmanager(t, "Bearer s3cr3t-t0ken"), oncalltest.NewAlertmanager(t, "Bearer s3cr3t-t0ken")
	var logs testutil.SyncBuffer
	r := newRig(t, a.URL()+", "+b.URL()+"/", alertmanager.Auth{BearerToken: "s3cr3t-t0ken"}, zerolog.New(&logs))
	a.SetClock(r.clk.Now)
	b.SetClock(r.clk.Now)
	b.FailNext(503)
	r.send(t, task("t1", "EXTEND", "FAILED", "", t0))
	want(t, a.Active(t0), "DCSTaskFailed t1")
	want(t, b.Active(t0))
	if f := r.s.FailingURLs(); len(f) != 1 || f[0].URL != b.URL() || !strings.Contains(f[0].Err.Error(), "503") {
		t.Fatalf("FailingURLs = %+v, want %s with its 503", f, b.URL())
	}
	r.tick(t)
	want(t, b.Active(t0), "DCSTaskFailed t1")
	if f := r.s.FailingURLs(); len(f) != 0 {
		t.Fatalf("FailingURLs after a post to each succeeded = %+v", f)
	}
	if strings.Contains(logs.String(), "s3cr3t-t0ken") {
		t.Fatal("the token leaked into the log")
	}
}

func TestAnswersAreClassified(t *testing.T) {
	am := oncalltest.NewAlertmanager(t, "Basic dXNlcjpodW50ZXIy") // user:hunter2
	r := newRig(t, am.URL(), alertmanager.Auth{User: "user", Password: "hunter2"}, zerolog.Nop())
	am.SetClock(r.clk.Now)
	failed := task("t1", "EXTEND", "FAILED", "", t0)

	am.FailNext(429, 500)
	_, err := r.s.SendWith(t.Context(), []event.Event{failed}, r.mem)
	var ra *retry.RetryAfterError
	if !errors.As(err, &ra) || ra.After != 2*time.Second || retry.IsPermanent(err) {
		t.Fatalf("429: err = %v, want a RetryAfterError of 2s", err)
	}
	if _, err = r.s.SendWith(t.Context(), []event.Event{failed}, r.mem); err == nil || retry.IsPermanent(err) {
		t.Fatalf("500: err = %v, want a retryable error", err)
	}
	if len(r.mem.Recollect()[proj]) != 0 {
		t.Fatal("an alert no Alertmanager took is remembered")
	}
	r.send(t, failed)
	want(t, am.Active(t0), "DCSTaskFailed t1")

	wrong := newRig(t, am.URL(), alertmanager.Auth{User: "user", Password: "wrong-password"}, zerolog.Nop())
	n, err := wrong.s.SendWith(t.Context(), []event.Event{failed}, wrong.mem)
	if n != 0 || !retry.IsPermanent(err) || strings.Contains(err.Error(), "wrong-password") {
		t.Fatalf("401: n = %d, err = %v; want a permanent error without the password", n, err)
	}
}

// A test event is an alert that ends by itself.
func TestDrill(t *testing.T) {
	am := oncalltest.NewAlertmanager(t, "")
	r := newRig(t, am.URL(), alertmanager.Auth{}, zerolog.Nop())
	am.SetClock(r.clk.Now)
	if _, err := r.s.Send(t.Context(), []event.Event{event.NewTest("cn-north-4", proj, "", t0)}); err != nil {
		t.Fatal(err)
	}
	_, last := am.Posted()
	if len(last) != 1 || last[0].Labels["alertname"] != "DCSNotifierTest" || last[0].EndsAt == nil || !strings.HasPrefix(last[0].Annotations["summary"], "[TEST]") {
		t.Fatalf("drill posted %+v", last)
	}
}

// A switchover whose task is no longer followed ends after the task TTL (poll.max_follow).
func TestTaskTTL(t *testing.T) {
	am := oncalltest.NewAlertmanager(t, "")
	clk := testutil.NewClock(t0)
	am.SetClock(clk.Now)
	// resend_interval and failed_ttl as Load defaults them: 1m, 24h.
	s, err := alertmanager.New(alertmanager.Options{Config: alertmanager.Config{Common: receiver.Common{Name: "am", MinSeverity: "warning"}, URL: am.URL(),
		ResendInterval: confkit.Duration(time.Minute), FailedTTL: confkit.Duration(24 * time.Hour)},
		TaskTTL: time.Hour, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{s: s, mem: testutil.NewMemory(), clk: clk}
	r.send(t, task("t1", event.SwitchoverTask, "RUNNING", "", t0))
	clk.Add(59 * time.Minute)
	r.tick(t)
	want(t, am.Active(clk.Now()), "DCSSwitchover t1")
	clk.Add(2 * time.Minute)
	r.tick(t)
	want(t, am.Active(clk.Now()))
	if len(r.mem.Recollect()[proj]) != 0 {
		t.Fatal("the expired alert is still remembered")
	}
}

// A tick whose re-send of one project's alerts Alertmanager refuses for good still
// re-sends the other projects' alerts: else Alertmanager resolves them silently.
func TestTickGoesOnPastARefusedProject(t *testing.T) {
	am := oncalltest.NewAlertmanager(t, "")
	r := newRig(t, am.URL(), alertmanager.Auth{}, zerolog.Nop())
	am.SetClock(r.clk.Now)
	other := task("t2", "EXTEND", "FAILED", "", t0)
	other.Data.ProjectID = "fedcba9876543210fedcba9876543210"
	r.send(t, task("t1", "EXTEND", "FAILED", "", t0), other)
	before := len(am.Posts())

	am.FailNext(http.StatusBadRequest) // whichever project goes first
	err := r.s.Tick(t.Context(), r.mem)
	if err == nil || !strings.Contains(err.Error(), "400") {
		t.Fatalf("Tick = %v, want the refusal reported", err)
	}
	if got := len(am.Posts()) - before; got != 1 {
		t.Fatalf("the tick re-sent %d projects' alerts, want the one not refused", got)
	}
}

// An answer that quotes a credential (a proxy echoing the token it refused) keeps no
// part of it in the error, however the answer is shortened for the log.
func TestARefusalQuotingTheTokenKeepsNoPartOfIt(t *testing.T) {
	const token = "s3cr3t-t0ken-0123456789abcdef"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, strings.Repeat("z", 105)+" "+token+" is not a valid token")
	}))
	defer srv.Close()
	r := newRig(t, srv.URL, alertmanager.Auth{BearerToken: token}, zerolog.Nop())
	_, err := r.s.SendWith(t.Context(), []event.Event{task("t1", "EXTEND", "FAILED", "", t0)}, r.mem)
	if !retry.IsPermanent(err) {
		t.Fatalf("err = %v, want a permanent refusal", err)
	}
	if strings.Contains(err.Error(), token[:8]) {
		t.Fatalf("part of the token is in the error: %v", err)
	}
}

// SendSelect says which events no request went out for: those that start and end no
// alert, never one that did.
func TestSendSelectSaysWhatWasNotSent(t *testing.T) {
	am := oncalltest.NewAlertmanager(t, "")
	r := newRig(t, am.URL(), alertmanager.Auth{}, zerolog.Nop())
	running, failed := task("t1", "EXTEND", "RUNNING", "", t0), task("t1", "EXTEND", "FAILED", "", t0)
	n, unsent, err := r.s.SendSelect(t.Context(), []event.Event{running, failed}, r.mem)
	if err != nil || n != 2 {
		t.Fatalf("SendSelect = %d, %v", n, err)
	}
	if len(unsent) != 1 || unsent[0] != running.ID {
		t.Errorf("unsent %v, want only the running task's %s (it opens nothing)", unsent, running.ID)
	}
	if got := len(am.Posts()); got != 1 {
		t.Errorf("%d posts, want 1 (the failure)", got)
	}
}
