package slacksink

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"notifier/internal/confkit"
	"notifier/internal/event"
	"notifier/internal/metrics"
	"notifier/internal/msgtmpl"
	"notifier/internal/receiver"
	"notifier/internal/sinks/pace"
)

func renderer(t *testing.T, text string, errs *prometheus.CounterVec) *msgtmpl.Renderer {
	t.Helper()
	tp, err := msgtmpl.Parse("slack.channels[0].template", text, *Style)
	if err != nil {
		t.Fatal(err)
	}
	r, err := msgtmpl.NewRenderer(msgtmpl.Options{Template: tp, Receiver: "live", Log: zerolog.Nop(), Errors: errs,
		Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A live card takes the template's headline and body; its history, facts and colour
// stay, and so does a reply in its thread, which repeats the headline.
func TestCardWithATemplate(t *testing.T) {
	r := newCardRig(t, true)
	r.ch.tmpl = renderer(t, `{{define "headline"}}{{mention "U012AB3CD"}} {{.Label}} ({{.TaskName}}, {{.Task.user_name}}){{end}}`+
		`{{define "body"}}_{{.Status}}_ since {{date "15:04" .Time}}{{end}}`, nil)
	t0 := time.Date(2023, 6, 17, 3, 2, 14, 0, time.UTC)
	r.mustSend(t, stepEv("swap", event.SwitchoverTask, "", "RUNNING", 1, t0))
	failed := stepEv("swap", event.SwitchoverTask, "RUNNING", "FAILED", 2, t0.Add(35*time.Second))
	failed.Data.Task = []byte(`{"id":"swap","name":"masterStandbySwapJob","status":"FAILED","user_name":"<!channel>"}`)
	r.mustSend(t, failed)
	top := r.api.Top(channelID)
	if len(top) != 1 || top[0].Updates != 1 {
		t.Fatalf("%d cards", len(top))
	}
	// A value from the API is escaped (the user name here); the mention is the template's: kept.
	if want := "<@U012AB3CD> Master/standby switchover failed (masterStandbySwapJob, &lt;!channel&gt;)"; top[0].Text != want {
		t.Errorf("card headline %q, want %q", top[0].Text, want)
	}
	blocks := attachmentText(top[0])
	if !strings.Contains(blocks, "_FAILED_ since 03:02") || !strings.Contains(blocks, "RUNNING 03:02:14 → FAILED 03:02:49") ||
		!strings.Contains(blocks, "*Status*") {
		t.Errorf("the card lacks the body, its history or its facts: %s", blocks)
	}
	replies := r.api.Replies(top[0].TS)
	if len(replies) != 1 || !strings.HasPrefix(replies[0].Text, "<@U012AB3CD> Master/standby switchover failed") {
		t.Errorf("replies %+v", replies)
	}
}

// A template that fails for an event leaves the built-in headline, and is counted; the
// card is still posted.
func TestCardFallsBackWhenTheTemplateFails(t *testing.T) {
	r := newCardRig(t, false)
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "notifier_template_errors_total"}, []string{"receiver"})
	r.ch.tmpl = renderer(t, `{{.Label}} blind since {{since .Data.BlindSince}}`, vec)
	r.mustSend(t, stepEv("t1", "AddReplica", "", "RUNNING", 1, clock))
	top := r.api.Top(channelID)
	if len(top) != 1 || !strings.Contains(top[0].Text, "*Adding a replica* · started") {
		t.Fatalf("cards %+v, want the built-in headline", top)
	}
	if n := testutil.ToFloat64(vec.WithLabelValues("live")); n != 1 {
		t.Errorf("counted %v, want 1", n)
	}
}

// A test event keeps [TEST] first, whatever the template says.
func TestATestMessageStaysMarked(t *testing.T) {
	e := event.NewTest("cn-north-4", project, "prod", clock)
	m := RenderLinks(&e, clock, nil, nil)
	withTemplate(&m, renderer(t, `{{mention "here"}} {{.Kind}} from {{.ProjectName}}`, nil), &e)
	if m.Text != "[TEST] <!here> test from prod" || m.Attachments[0].Fallback != m.Text {
		t.Errorf("headline %q", m.Text)
	}
}

// A webhook opened as run opens it (its kind's Spec, with the notifier's metrics) posts
// the template's headline, and a part that fails for an event gives the built-in text,
// counted in notifier_template_errors_total{receiver}.
func TestWebhookWithATemplateAsOpened(t *testing.T) {
	f := newFakeSlack(t, nil)
	m := metrics.New(prometheus.NewRegistry(), "test")
	w := WebhookConfig{Common: receiver.Common{Name: "oncall",
		Template: `{{mention "S0123ABCD"}} {{.Label}} · {{.Instance | default .ProjectName}}{{if .Data.BlindSince}} since {{since .Data.BlindSince}}{{else if eq .Kind "stuck"}} {{since .Data.BlindSince}}{{end}}`},
		URLEnv: "HOOK"}
	var p confkit.Problems
	WebhookSpec.Validate(&w, "slack.webhooks[0]", &p)
	if len(p) > 0 {
		t.Fatal(p)
	}
	o, err := WebhookSpec.Open(&w, "slack.webhooks[0]", receiver.Deps{Log: zerolog.Nop(), Metrics: m,
		Getenv: func(string) string { return string(f.hook()) }})
	if err != nil {
		t.Fatal(err)
	}
	s := o.Sink.(*Sink)
	s.pace = pace.NewWindow(1, time.Millisecond, nil, nil)
	ok := stepEv("t1", "AddReplica", "RUNNING", "SUCCESS", 2, clock)
	stuck := event.NewStuck(event.Stuck{ProjectID: project, Region: "cn-north-4", TaskID: "t2", TaskName: "EXTEND", Status: "RUNNING",
		Running: time.Hour, Threshold: 10 * time.Minute, Source: event.ThresholdLearned, DetectedAt: clock})
	if n, err := s.Send(t.Context(), []event.Event{ok, stuck}); n != 2 || err != nil {
		t.Fatalf("Send = %d, %v", n, err)
	}
	if got := f.next(t).msg.Text; got != "<!subteam^S0123ABCD> Replica added · "+project {
		t.Errorf("headline %q", got)
	}
	if got := f.next(t).msg.Text; !strings.HasPrefix(got, "⏳ *Changing the specifications stuck*") {
		t.Errorf("the failing template did not give the built-in headline: %q", got)
	}
	if n := testutil.ToFloat64(m.TemplateErrors.WithLabelValues("oncall")); n != 1 {
		t.Errorf("notifier_template_errors_total{receiver=\"oncall\"} = %v, want 1", n)
	}
}
