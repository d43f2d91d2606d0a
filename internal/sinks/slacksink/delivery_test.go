package slacksink

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"notifier/internal/event"
	"notifier/internal/receiver"
	synctest "notifier/internal/testkit/testutil"
)

func TestDeliversOnePerGap(t *testing.T) {
	f := newFakeSlack(t, nil)
	const gap = 200 * time.Millisecond
	r := newRig(t, t.TempDir(), Options{URL: f.hook(), MinGap: gap})
	evs := events(t, 3)
	r.commit(t, evs...)
	var prev time.Time
	for i := range evs {
		req := f.next(t)
		if got, want := taskID(req.msg), evs[i].Subject; got != want {
			t.Errorf("post %d is about %q, want %q (in order)", i, got, want)
		}
		if i > 0 && req.at.Sub(prev) < gap-10*time.Millisecond {
			t.Errorf("posts %d and %d only %v apart, want at least %v", i-1, i, req.at.Sub(prev), gap)
		}
		prev = req.at
	}
	r.deliveries(t, "hook0", "ok", 3)
}

func TestRetryAfterHonoured(t *testing.T) {
	f := newFakeSlack(t, func(n int) reply {
		if n == 0 {
			return reply{http.StatusTooManyRequests, "rate_limited", "1"}
		}
		return ok
	})
	r := newRig(t, t.TempDir(), Options{URL: f.hook()})
	r.commit(t, events(t, 1)...)
	first, second := f.next(t), f.next(t)
	if gap := second.at.Sub(first.at); gap < 990*time.Millisecond {
		t.Errorf("retried %v after a 429 with Retry-After: 1", gap)
	}
	r.drained(t)
}

func TestRetried(t *testing.T) {
	tests := []struct {
		name  string
		fails []reply
	}{
		{"429 without Retry-After", []reply{{http.StatusTooManyRequests, "message_limit_exceeded", ""}}},
		{"5xx", []reply{{http.StatusInternalServerError, "<html>oops</html>", ""}, {http.StatusServiceUnavailable, "", ""}}},
		{"unreadable Retry-After", []reply{{http.StatusTooManyRequests, "rate_limited", "soon"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t, func(n int) reply {
				if n < len(tt.fails) {
					return tt.fails[n]
				}
				return ok
			})
			r := newRig(t, t.TempDir(), Options{URL: f.hook()})
			r.commit(t, events(t, 1)...)
			r.drained(t)
			if got, want := f.count(), len(tt.fails)+1; got != want {
				t.Errorf("%d posts, want %d", got, want)
			}
			if got := testutil.ToFloat64(r.m.Deliveries.WithLabelValues("hook0", "retry")); got != float64(len(tt.fails)) {
				t.Errorf("retries = %v, want %d", got, len(tt.fails))
			}
		})
	}
}

// TestPermanentDropsForThatWebhookOnly: a 4xx drops the event for its webhook after one
// post, logs the status and the position, counts it, and another webhook still gets it.
func TestPermanentDropsForThatWebhookOnly(t *testing.T) {
	tests := []struct {
		code int
		body string
	}{
		{http.StatusBadRequest, "invalid_payload"},
		{http.StatusForbidden, "action_prohibited"},
		{http.StatusNotFound, "channel_not_found"},
		{http.StatusGone, "channel_is_archived"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			bad := newFakeSlack(t, func(int) reply { return reply{tt.code, tt.body, ""} })
			good := newFakeSlack(t, nil)
			r := newRig(t, t.TempDir(), Options{URL: bad.hook()}, Options{URL: good.hook()})
			r.commit(t, events(t, 2)...)
			r.drained(t)
			if bad.count() != 2 || good.count() != 2 {
				t.Errorf("posts: failing webhook %d, other %d; want 2 and 2 (no retry)", bad.count(), good.count())
			}
			r.deliveries(t, "hook0", "dropped", 2)
			logs := r.logs.String()
			for _, want := range []string{`"level":"error"`, `"receiver":"hook0"`, tt.body, http.StatusText(tt.code)} {
				if !strings.Contains(logs, want) {
					t.Errorf("log lacks %q:\n%s", want, logs)
				}
			}
		})
	}
}

func TestDigestOnBurst(t *testing.T) {
	f := newFakeSlack(t, nil)
	r := newRig(t, t.TempDir(), Options{URL: f.hook()})
	evs := events(t, 15)
	r.commit(t, evs...)
	req := f.next(t)
	r.drained(t)
	if n := f.count(); n != 1 {
		t.Fatalf("%d posts for a burst of 15, want one digest", n)
	}
	text := texts(&req.msg)
	if !strings.Contains(req.msg.Text, "15 DCS tasks") {
		t.Errorf("digest headline %q", req.msg.Text)
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	// lines[0] is the headline.
	if len(lines) < 2 || !strings.Contains(lines[1], "FAILED") || strings.Count(text, "task-") != 15 {
		t.Errorf("digest does not list the 15 tasks, failures first:\n%s", text)
	}
}

func TestRouting(t *testing.T) {
	f := newFakeSlack(t, nil)
	r := newRig(t, t.TempDir(), Options{URL: f.hook(), Webhook: WebhookConfig{Common: receiver.Common{MinSeverity: "critical"}}})
	evs := events(t, 3) // only the first fails, so only it is critical
	r.commit(t, evs...)
	r.drained(t)
	if n := f.count(); n != 1 {
		t.Fatalf("%d posts, want 1", n)
	}
	if got := taskID(f.next(t).msg); got != evs[0].Subject {
		t.Errorf("posted %q, want %q", got, evs[0].Subject)
	}
	r.deliveries(t, "hook0", "ok", 1) // the others were never queued for it
}

// TestRestartNeitherLosesNorRepeats stops the dispatcher while Slack fails, reopens the
// same state directory and checks that exactly the undelivered events are posted.
func TestRestartNeitherLosesNorRepeats(t *testing.T) {
	dir := t.TempDir()
	failing := newFakeSlack(t, func(n int) reply {
		if n == 0 {
			return ok
		}
		return reply{http.StatusInternalServerError, "", ""}
	})
	r := newRig(t, dir, Options{URL: failing.hook()})
	evs := events(t, 3)
	r.commit(t, evs...)
	synctest.Eventually(t, "one delivery and a failed retry", func() bool { return failing.count() >= 2 && r.ledger.Count("hook0") == 2 })
	r.stop()

	good := newFakeSlack(t, nil)
	r2 := newRig(t, dir, Options{URL: good.hook()})
	r2.drained(t)
	var got []string
	for range good.count() {
		got = append(got, taskID(good.next(t).msg))
	}
	if want := []string{evs[1].Subject, evs[2].Subject}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("after the restart posted %v, want %v", got, want)
	}
}

// TestSlowWebhookDelaysNoOther: a webhook that never answers holds up only its own sink.
func TestSlowWebhookDelaysNoOther(t *testing.T) {
	release := make(chan struct{})
	slow := newFakeSlack(t, func(int) reply { <-release; return ok })
	t.Cleanup(func() { close(release) }) // runs before the server closes
	fast := newFakeSlack(t, nil)
	r := newRig(t, t.TempDir(), Options{URL: slow.hook()}, Options{URL: fast.hook()})
	r.commit(t, events(t, 3)...)
	synctest.Eventually(t, "the fast webhook to get everything", func() bool { return r.ledger.Count("hook1") == 0 })
	if fast.count() != 3 || r.ledger.Count("hook0") != 3 {
		t.Errorf("fast got %d posts, slow still has %d pending; want 3 and 3", fast.count(), r.ledger.Count("hook0"))
	}
}

// TestRefusedDigestDropsItWhole: a webhook whose channel is gone refuses the digest; all
// of its events are dropped for that webhook at once, not retried one post per event.
func TestRefusedDigestDropsItWhole(t *testing.T) {
	f := newFakeSlack(t, func(int) reply { return reply{code: http.StatusNotFound, body: "channel_not_found"} })
	r := newRig(t, t.TempDir(), Options{URL: f.hook()})
	r.commit(t, events(t, 15)...)
	f.next(t)
	r.drained(t)
	if n := f.count(); n != 1 {
		t.Fatalf("%d posts, want the one refused digest", n)
	}
	r.deliveries(t, "hook0", "dropped", 15)
}

// TestSinkShowsStatusesAsConfigured: the Sink renders with the Statuses it was given, so a
// status configured terminal (ABORTED) is posted as finished.
func TestSinkShowsStatusesAsConfigured(t *testing.T) {
	f := newFakeSlack(t, nil)
	aborted := event.NewStatuses(append(event.DefaultTerminal(), "ABORTED"))
	r := newRig(t, t.TempDir(), Options{URL: f.hook(), Statuses: aborted})
	e := ev(t, "RUNNING", false, `{"id":"ab1","name":"EXTEND","status":"ABORTED"}`)
	r.commit(t, e)
	if got := f.next(t).msg.Text; !strings.HasPrefix(got, "⚪ *Changing the specifications aborted*") {
		t.Errorf("posted %q, want the task shown as ended", got)
	}
	r.drained(t)
}
