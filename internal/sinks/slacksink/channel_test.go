package slacksink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/diff"
	"notifier/internal/event"
	"notifier/internal/metrics"
	"notifier/internal/receiver"
	"notifier/internal/retry"
	"notifier/internal/secret"
	"notifier/internal/sinks"
	"notifier/internal/state"
	"notifier/internal/testkit/slackfake"
	synctest "notifier/internal/testkit/testutil"
)

const (
	botToken  = "xoxb-1111-2222-S3cr3tB0tT0k3n"
	channelID = "C0123456789"
)

// countPacer lets every message go at once and counts the waits.
type countPacer struct {
	mu sync.Mutex
	n  int
}

func (p *countPacer) Wait(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	return ctx.Err()
}

func (p *countPacer) waits() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// cardRig is a Channel receiver over a real Ledger in a directory, talking to a fake
// Slack Web API; open again is a restart over the same state.
type cardRig struct {
	api     *slackfake.Server
	dir     string
	threads bool
	store   *state.File
	ledger  *state.Ledger
	ch      *Channel
	logs    *synctest.SyncBuffer
	pace    *countPacer
	now     time.Time
}

func newCardRig(t *testing.T, threads bool) *cardRig {
	t.Helper()
	r := &cardRig{api: slackfake.New(t, botToken), dir: t.TempDir(), threads: threads,
		logs: &synctest.SyncBuffer{}, pace: &countPacer{}, now: clock}
	r.open(t)
	return r
}

// open (re)opens the state and builds the receiver afresh: nothing carries over but
// what was saved.
func (r *cardRig) open(t *testing.T) {
	t.Helper()
	if r.store != nil {
		r.store.Close()
	}
	store, err := state.OpenFile(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	snap, err := store.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	r.store = store
	r.ledger, _ = state.NewLedger(store, snap, []string{"live"})
	if err := r.ledger.Commit(t.Context(), project, &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{})}, nil); err != nil {
		t.Fatal(err)
	}
	r.ch, err = NewChannel(ChannelOptions{
		Channel: ChannelConfig{Common: receiver.Common{Name: "live"}, Channel: channelID, APIURL: r.api.APIURL(), ThreadReplies: r.threads},
		Token:   secret.Secret(botToken), Log: zerolog.New(r.logs).Level(zerolog.DebugLevel),
		Now: func() time.Time { return r.now }, Pace: r.pace,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (r *cardRig) send(t *testing.T, evs ...event.Event) (int, error) {
	t.Helper()
	return r.ch.SendWith(t.Context(), evs, r.ledger.Memory("live"))
}

func (r *cardRig) mustSend(t *testing.T, evs ...event.Event) {
	t.Helper()
	if n, err := r.send(t, evs...); err != nil || n != len(evs) {
		t.Fatalf("SendWith = %d, %v; want %d, nil", n, err, len(evs))
	}
}

// remembered returns the card remembered for task.
func (r *cardRig) remembered(t *testing.T, task string) card {
	t.Helper()
	v, ok := r.ledger.Memory("live").Recall(project, task)
	if !ok {
		t.Fatalf("no card remembered for %s", task)
	}
	k, ok := decodeCard(v)
	if !ok {
		t.Fatalf("the card of %s does not decode: %s", task, v)
	}
	return k
}

// step is the nth event of task: created when previous is empty.
func stepEv(task, name, previous, status string, seq uint32, at time.Time) event.Event {
	return event.New(event.Transition{
		ProjectID: project, Region: "cn-north-4", TaskID: task, TaskName: name,
		Status: status, PreviousStatus: previous, Created: previous == "", Seq: seq,
		Task:       json.RawMessage(fmt.Sprintf(`{"id":%q,"name":%q,"status":%q,"created_at":"2023-06-17T08:18:06Z"}`, task, name, status)),
		DetectedAt: at,
	})
}

func isPermanent(err error) bool { return retry.IsPermanent(err) }

func dropsRest(err error) bool { return retry.IsPermanentRest(err) }

func afterOf(err error) time.Duration {
	var ra *retry.RetryAfterError
	if errors.As(err, &ra) {
		return ra.After
	}
	return 0
}

func attachmentText(m slackfake.Message) string {
	var b strings.Builder
	for _, a := range m.Attachments {
		b.Write(a.Blocks)
	}
	return b.String()
}

func TestCardIsPostedOnceThenUpdatedInPlaceWithThreadReplies(t *testing.T) {
	r := newCardRig(t, true)
	t0 := time.Date(2023, 6, 17, 3, 2, 14, 0, time.UTC)
	r.mustSend(t, stepEv("swap", event.SwitchoverTask, "", "RUNNING", 1, t0))
	top := r.api.Top(channelID)
	if len(top) != 1 {
		t.Fatalf("%d top-level messages after the first event, want 1", len(top))
	}
	if k := r.remembered(t, "swap"); k.TS != top[0].TS || k.Channel != channelID {
		t.Fatalf("remembered %+v, posted ts %s", k, top[0].TS)
	}
	if len(r.api.Replies(top[0].TS)) != 0 {
		t.Fatal("the first event replied in its own thread")
	}

	r.mustSend(t, stepEv("swap", event.SwitchoverTask, "RUNNING", "FAILED", 2, t0.Add(35*time.Second)))
	top = r.api.Top(channelID)
	if len(top) != 1 || top[0].Updates != 1 {
		t.Fatalf("after the second event: %d top-level messages, the card updated %d times; want 1 and 1", len(top), top[0].Updates)
	}
	if !strings.Contains(top[0].Text, "Master/standby switchover failed") {
		t.Errorf("the card's headline does not say the switchover failed: %s", top[0].Text)
	}
	if h := attachmentText(top[0]); !strings.Contains(h, "RUNNING 03:02:14 → FAILED 03:02:49") {
		t.Errorf("the card has no history line: %s", h)
	}
	replies := r.api.Replies(top[0].TS)
	if len(replies) != 1 || !replies[0].Broadcast {
		t.Fatalf("replies %+v: want one, broadcast (the failure is critical)", replies)
	}
	for _, c := range r.api.Calls() {
		if !c.Bearer {
			t.Errorf("%s sent the token in its body, not as Authorization: Bearer", c.Method)
		}
	}
	if got := r.pace.waits(); got != 2 {
		t.Errorf("%d paced messages, want 2 (the card and the reply; an update is not a new message)", got)
	}

	// A retry of an event already shown changes nothing.
	calls := len(r.api.Calls())
	r.mustSend(t, stepEv("swap", event.SwitchoverTask, "RUNNING", "FAILED", 2, t0.Add(35*time.Second)))
	if got := len(r.api.Calls()); got != calls {
		t.Errorf("an event shown already made %d more calls", got-calls)
	}
}

func TestCardWithoutThreadRepliesIsOnlyUpdated(t *testing.T) {
	r := newCardRig(t, false)
	r.mustSend(t, stepEv("t1", "AddReplica", "", "RUNNING", 1, clock))
	r.mustSend(t, stepEv("t1", "AddReplica", "RUNNING", "SUCCESS", 2, clock.Add(time.Minute)))
	top := r.api.Top(channelID)
	if len(top) != 1 || top[0].Updates != 1 || len(r.api.Replies(top[0].TS)) != 0 {
		t.Fatalf("top %+v, replies %d: want one card updated once, no replies", top, len(r.api.Replies(top[0].TS)))
	}
	if !strings.Contains(top[0].Text, "Replica added") {
		t.Errorf("headline %q", top[0].Text)
	}
}

// A restart (a new receiver and ledger over the saved state, as after a SIGKILL) updates
// the card posted before it.
func TestCardSurvivesARestart(t *testing.T) {
	r := newCardRig(t, true)
	r.mustSend(t, stepEv("t1", "EXTEND", "", "RUNNING", 1, clock))
	r.open(t)
	r.mustSend(t, stepEv("t1", "EXTEND", "RUNNING", "SUCCESS", 2, clock.Add(time.Minute)))
	top := r.api.Top(channelID)
	if len(top) != 1 || top[0].Updates != 1 {
		t.Fatalf("%d top-level messages (updates %d) after a restart, want 1 updated once", len(top), top[0].Updates)
	}
	if replies := r.api.Replies(top[0].TS); len(replies) != 1 || replies[0].Broadcast {
		t.Fatalf("replies %+v: want one, not broadcast", replies)
	}
}

func TestGoneCardIsReplacedAndTheNewOneUsed(t *testing.T) {
	for _, how := range []string{"deleted", "cant_update_message"} {
		t.Run(how, func(t *testing.T) {
			r := newCardRig(t, true)
			r.mustSend(t, stepEv("t1", "EXTEND", "", "RUNNING", 1, clock))
			old := r.api.Top(channelID)[0].TS
			if how == "deleted" {
				r.api.Delete(channelID, old)
			} else {
				r.api.Fail("chat.update", slackfake.Fault{Error: how})
			}
			r.mustSend(t, stepEv("t1", "EXTEND", "RUNNING", "ROLLING", 2, clock.Add(time.Minute)))
			k := r.remembered(t, "t1")
			if k.TS == old || k.TS == "" {
				t.Fatalf("the card's ts is still %q after it was gone", k.TS)
			}
			if !strings.Contains(attachmentText(r.api.Top(channelID)[len(r.api.Top(channelID))-1]), "RUNNING") {
				t.Error("the new card lost the history")
			}
			r.mustSend(t, stepEv("t1", "EXTEND", "ROLLING", "SUCCESS", 3, clock.Add(2*time.Minute)))
			var found bool
			for _, m := range r.api.Top(channelID) {
				if m.TS == k.TS {
					found = m.Updates == 1
				}
			}
			if !found {
				t.Error("the next event did not update the new card")
			}
		})
	}
}

// Errors are classified for the Dispatcher: wait what a 429 asks, back off on
// ratelimited, 5xx and a failed transport, drop for good what can never go.
func TestChannelErrors(t *testing.T) {
	type want struct {
		perm, rest bool
		after      time.Duration
		code       string
	}
	cases := []struct {
		name  string
		fault slackfake.Fault
		want  want
	}{
		{"429 Retry-After", slackfake.Fault{Status: 429, RetryAfter: "7"}, want{after: 7 * time.Second}},
		{"ratelimited", slackfake.Fault{Error: "ratelimited"}, want{code: "ratelimited"}},
		{"500", slackfake.Fault{Status: 500}, want{}},
		{"503", slackfake.Fault{Status: 503}, want{}},
		{"invalid_blocks", slackfake.Fault{Error: "invalid_blocks"}, want{perm: true, code: "invalid_blocks"}},
		{"msg_too_long", slackfake.Fault{Error: "msg_too_long"}, want{perm: true, code: "msg_too_long"}},
	}
	for _, code := range []string{"invalid_auth", "token_revoked", "account_inactive", "channel_not_found", "not_in_channel", "is_archived"} {
		cases = append(cases, struct {
			name  string
			fault slackfake.Fault
			want  want
		}{code, slackfake.Fault{Error: code}, want{perm: true, rest: true, code: code}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newCardRig(t, true)
			r.api.Fail("chat.postMessage", c.fault, c.fault)
			evs := []event.Event{stepEv("t1", "EXTEND", "", "RUNNING", 1, clock), stepEv("t2", "EXTEND", "", "RUNNING", 1, clock)}
			for range 2 {
				n, err := r.send(t, evs...)
				if n != 0 || err == nil {
					t.Fatalf("SendWith = %d, %v; want 0 and an error", n, err)
				}
				if got := isPermanent(err); got != c.want.perm {
					t.Errorf("permanent = %v, want %v (%v)", got, c.want.perm, err)
				}
				if got := dropsRest(err); got != c.want.rest {
					t.Errorf("drops the rest = %v, want %v (%v)", got, c.want.rest, err)
				}
				if got := afterOf(err); got != c.want.after {
					t.Errorf("retry after %v, want %v", got, c.want.after)
				}
				if got := codeOf(err); got != c.want.code {
					t.Errorf("code %q, want %q (%v)", got, c.want.code, err)
				}
			}
			if c.want.rest {
				if n := strings.Count(r.logs.String(), `"code":"`+c.want.code+`"`); n != 1 {
					t.Errorf("the error was logged %d times with its code, want once:\n%s", n, r.logs)
				}
			}
			if len(r.api.Top(channelID)) != 0 {
				t.Error("a refused post shows in the channel")
			}
			// Once Slack answers again, the card goes.
			r.mustSend(t, evs...)
			if len(r.api.Top(channelID)) != 2 {
				t.Errorf("%d cards once Slack answered, want 2", len(r.api.Top(channelID)))
			}
		})
	}
}

func TestTransportFailureIsRetryableAndNamesNoURL(t *testing.T) {
	r := newCardRig(t, false)
	url := r.api.APIURL()
	r.api.Close()
	n, err := r.send(t, stepEv("t1", "EXTEND", "", "RUNNING", 1, clock))
	if n != 0 || err == nil || isPermanent(err) {
		t.Fatalf("SendWith = %d, %v; want 0 and a retryable error", n, err)
	}
	if strings.Contains(err.Error(), url) || strings.Contains(err.Error(), "/api/") {
		t.Errorf("the error quotes the API URL: %v", err)
	}
}

func TestBotTokenIsNeverShown(t *testing.T) {
	r := newCardRig(t, true)
	r.api.Fail("chat.postMessage", slackfake.Fault{Error: "invalid_auth"}, slackfake.Fault{Status: 500})
	var errs []string
	for range 3 {
		if _, err := r.send(t, stepEv("t1", "EXTEND", "", "RUNNING", 1, clock)); err != nil {
			errs = append(errs, err.Error())
		}
	}
	r.api.Close()
	if _, err := r.send(t, stepEv("t2", "EXTEND", "", "RUNNING", 1, clock)); err != nil {
		errs = append(errs, err.Error())
	}
	shown := strings.Join(append(errs, r.logs.String(), fmt.Sprint(r.ch), fmt.Sprintf("%v %+v %#v %s", r.ch, r.ch, r.ch, r.ch)), "\n")
	for _, part := range []string{botToken, "S3cr3tB0tT0k3n"} {
		if strings.Contains(shown, part) {
			t.Fatalf("the bot token shows:\n%s", shown)
		}
	}
	if _, err := NewChannel(ChannelOptions{Key: "slack.channels[2]", Channel: ChannelConfig{Common: receiver.Common{Name: "x"}, Channel: channelID},
		Token: secret.Secret("xoxb-bad token")}); err == nil || strings.Contains(err.Error(), "bad") ||
		!strings.Contains(err.Error(), "slack.channels[2]") {
		t.Errorf("a token with a space: %v", err)
	}
}

// More than ten waiting events go out as one digest; the cards of their tasks are
// brought up to date, and a task that had none gets its card, with its whole history,
// at its next event.
func TestDigestUpdatesTheCards(t *testing.T) {
	r := newCardRig(t, true)
	r.mustSend(t, stepEv("a", "EXTEND", "", "RUNNING", 1, clock), stepEv("b", "AddReplica", "", "RUNNING", 1, clock))
	var burst []event.Event
	burst = append(burst, stepEv("a", "EXTEND", "RUNNING", "SUCCESS", 2, clock.Add(time.Minute)))
	for i := range 10 {
		burst = append(burst, stepEv(fmt.Sprintf("n%02d", i), "BindEip", "", "RUNNING", 1, clock.Add(time.Minute)))
	}
	burst = append(burst, stepEv("b", "AddReplica", "RUNNING", "FAILED", 2, clock.Add(time.Minute)))
	waits := r.pace.waits()
	r.mustSend(t, burst...)
	top := r.api.Top(channelID)
	if len(top) != 3 {
		t.Fatalf("%d top-level messages, want 3 (two cards and one digest)", len(top))
	}
	if got := r.pace.waits() - waits; got != 1 {
		t.Errorf("the burst posted %d new messages, want 1 digest", got)
	}
	if top[0].Updates != 1 || top[1].Updates != 1 {
		t.Errorf("card updates %d and %d, want 1 each", top[0].Updates, top[1].Updates)
	}
	if !strings.Contains(top[1].Text, "Adding a replica failed") {
		t.Errorf("card b says %q", top[1].Text)
	}
	if !strings.Contains(top[2].Text, "12 DCS tasks") {
		t.Errorf("the digest headline is %q", top[2].Text)
	}
	if k := r.remembered(t, "n03"); k.TS != "" || len(k.Steps) != 1 {
		t.Errorf("a task the digest told of: %+v, want its history and no card", k)
	}
	// A retry of the burst (its delivery not recorded) posts the digest again but
	// updates no card twice.
	r.mustSend(t, burst...)
	if top := r.api.Top(channelID); top[0].Updates != 1 || len(top) != 4 {
		t.Errorf("a retried burst: card updates %d, %d top-level messages", top[0].Updates, len(top))
	}
	r.mustSend(t, stepEv("n03", "BindEip", "RUNNING", "SUCCESS", 2, clock.Add(2*time.Minute)))
	top = r.api.Top(channelID)
	last := top[len(top)-1]
	if !strings.Contains(last.Text, "Public access enabled") || !strings.Contains(attachmentText(last), "RUNNING 08:31:00 → SUCCESS 08:32:00") {
		t.Errorf("the card of a task the digest told of: %q %s", last.Text, attachmentText(last))
	}
}

// A stuck task's alert goes to its card's thread, broadcast when critical; other events
// about no task's status are messages of their own.
func TestStuckGoesToTheCardsThread(t *testing.T) {
	r := newCardRig(t, true)
	r.mustSend(t, stepEv("t1", "EXTEND", "", "RUNNING", 1, clock))
	stuck := event.Event{ID: "stuck-1", Type: event.TypeStuck, Subject: "t1", Time: clock,
		Data: event.Data{ProjectID: project, Region: "cn-north-4", TaskName: "EXTEND", Status: "RUNNING",
			Severity: event.Critical, RunningSeconds: 7200, ThresholdSeconds: 3600, ThresholdSource: "default", DetectedAt: clock}}
	r.mustSend(t, stuck)
	top := r.api.Top(channelID)
	if len(top) != 1 {
		t.Fatalf("%d top-level messages, want the card only", len(top))
	}
	rs := r.api.Replies(top[0].TS)
	if len(rs) != 1 || !rs[0].Broadcast || !strings.Contains(rs[0].Text, "stuck") {
		t.Fatalf("replies %+v: want the stuck alert, broadcast", rs)
	}
	r.mustSend(t, event.NewTest("cn-north-4", project, "prod", clock))
	if len(r.api.Top(channelID)) != 2 {
		t.Error("a test notification is not a message of its own")
	}
}

func TestOldCardsAreForgotten(t *testing.T) {
	r := newCardRig(t, false)
	r.mustSend(t, stepEv("old", "EXTEND", "", "SUCCESS", 1, clock), stepEv("new", "EXTEND", "", "RUNNING", 1, clock.Add(5*24*time.Hour)))
	r.now = clock.Add(DefaultKeep + time.Hour)
	if err := r.ch.Tick(t.Context(), r.ledger.Memory("live")); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.ledger.Memory("live").Recall(project, "old"); ok {
		t.Error("a card older than Keep is still remembered")
	}
	r.remembered(t, "new")
}

// Under a real Dispatcher over the ledger: a card's events go one by one, a burst
// committed at once goes out as one digest with the cards brought up to date, and the
// Dispatcher's tick forgets a card long over.
func TestChannelUnderTheDispatcher(t *testing.T) {
	r := newCardRig(t, true)
	mem := r.ledger.Memory("live")
	old := card{TS: "1600000000.000001", Channel: channelID, To: channelID, Steps: []step{{Status: "SUCCESS", At: clock.Add(-30 * 24 * time.Hour).Unix()}}}
	if err := mem.Remember(t.Context(), project, map[string]string{"long-over": old.encode()}); err != nil {
		t.Fatal(err)
	}
	d := sinks.NewDispatcher(sinks.DispatcherOptions{Queue: r.ledger, Sinks: []sinks.Sink{r.ch}, Log: zerolog.Nop(),
		Metrics: metrics.New(prometheus.NewRegistry(), "test"), MinBackoff: 10 * time.Millisecond,
		Memory: func(s string) sinks.Memory { return r.ledger.Memory(s) }})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	defer func() {
		cancel()
		<-done
	}()
	synctest.Eventually(t, "the tick to forget the card long over", func() bool {
		_, ok := mem.Recall(project, "long-over")
		return !ok
	})
	commit := func(evs ...event.Event) {
		t.Helper()
		if err := r.ledger.Commit(t.Context(), project, &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{})}, evs); err != nil {
			t.Fatal(err)
		}
	}
	commit(stepEv("a", "EXTEND", "", "RUNNING", 1, clock))
	synctest.Eventually(t, "the card", func() bool { return len(r.api.Top(channelID)) == 1 })
	var burst []event.Event
	for i := range 11 {
		burst = append(burst, stepEv(fmt.Sprintf("n%02d", i), "BindEip", "", "RUNNING", 1, clock))
	}
	burst = append(burst, stepEv("a", "EXTEND", "RUNNING", "FAILED", 2, clock.Add(time.Minute)))
	commit(burst...)
	synctest.Eventually(t, "the burst delivered", func() bool { return r.ledger.Count("live") == 0 })
	top := r.api.Top(channelID)
	if len(top) != 2 || top[0].Updates != 1 || !strings.Contains(top[1].Text, "12 DCS tasks") {
		t.Fatalf("after the burst: %d top-level messages (want the card and one digest), card updates %d", len(top), top[0].Updates)
	}
	if len(r.api.Replies(top[0].TS)) != 0 {
		t.Error("the digest's card update replied in the thread: a burst posts one new message")
	}
}

// A stuck alert for a task whose card someone deleted is posted on its own: Slack refuses
// a reply in the thread of a deleted message (thread_not_found), and the alert must not
// be dropped for that.
func TestStuckForADeletedCardIsPostedOnItsOwn(t *testing.T) {
	r := newCardRig(t, true)
	r.mustSend(t, stepEv("t1", "EXTEND", "", "RUNNING", 1, clock))
	r.api.Delete(channelID, r.remembered(t, "t1").TS)
	stuck := event.Event{ID: "stuck-1", Type: event.TypeStuck, Subject: "t1", Time: clock,
		Data: event.Data{ProjectID: project, Region: "cn-north-4", TaskName: "EXTEND", Status: "RUNNING",
			Severity: event.Critical, RunningSeconds: 7200, ThresholdSeconds: 3600, ThresholdSource: "default", DetectedAt: clock}}
	r.mustSend(t, stuck)
	top := r.api.Top(channelID)
	if len(top) != 1 || !strings.Contains(top[0].Text, "stuck") {
		t.Fatalf("top-level messages %+v: want the stuck alert", top)
	}
}

// A task that started in a maintenance window that muted this receiver says so on its
// card (During), as a webhook's messages do.
func TestCardSaysTheMaintenanceWindowItsTaskStartedIn(t *testing.T) {
	r := newCardRig(t, false)
	r.ch.during = func(e *event.Event) string {
		if e.Subject == "t1" {
			return "weekly-maintenance"
		}
		return ""
	}
	r.mustSend(t, stepEv("t1", "EXTEND", "RUNNING", "SUCCESS", 2, clock), stepEv("t2", "EXTEND", "", "RUNNING", 1, clock))
	top := r.api.Top(channelID)
	if len(top) != 2 {
		t.Fatalf("%d cards, want 2", len(top))
	}
	for _, m := range top {
		has := strings.Contains(attachmentText(m), "during maintenance window weekly-maintenance")
		if want := strings.Contains(attachmentText(m), "`t1`"); has != want {
			t.Errorf("card %q: maintenance line %v, want %v\n%s", m.Text, has, want, attachmentText(m))
		}
	}
}
