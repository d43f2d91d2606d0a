package slacksink

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"notifier/internal/diff"
	"notifier/internal/event"
	"notifier/internal/metrics"
	"notifier/internal/receiver"
	"notifier/internal/secret"
	"notifier/internal/sinks"
	"notifier/internal/state"
	synctest "notifier/internal/testkit/testutil"
)

// hookPath is the secret part of the test webhook URLs; no log line or error may show it.
const hookPath = "/services/T0001/B0001/S3cr3tT0k3nXYZ"

// reply is one answer of the fake Slack.
type reply struct {
	code       int
	body       string
	retryAfter string
}

var ok = reply{200, "ok", ""}

// request is what the fake Slack received.
type request struct {
	at  time.Time
	msg slack.WebhookMessage
}

// fakeSlack behaves like an incoming webhook: it answers the nth POST with script(n)
// (ok once the script returns a zero reply) and 404 no_service on any other path.
type fakeSlack struct {
	*httptest.Server
	reqs chan request
	mu   sync.Mutex
	n    int
}

func newFakeSlack(t *testing.T, script func(n int) reply) *fakeSlack {
	t.Helper()
	f := &fakeSlack{reqs: make(chan request, 1000)}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != hookPath {
			http.Error(w, "no_service", http.StatusNotFound)
			return
		}
		var msg slack.WebhookMessage
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(body, &msg) != nil {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		n := f.n
		f.n++
		f.mu.Unlock()
		rep := ok
		if script != nil {
			if r := script(n); r.code != 0 {
				rep = r
			}
		}
		f.reqs <- request{time.Now(), msg}
		if rep.retryAfter != "" {
			w.Header().Set("Retry-After", rep.retryAfter)
		}
		w.WriteHeader(rep.code)
		fmt.Fprint(w, rep.body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeSlack) hook() secret.Secret { return secret.Secret(f.URL + hookPath) }

// count returns how many well-formed posts arrived.
func (f *fakeSlack) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// next waits for the next post.
func (f *fakeSlack) next(t *testing.T) request {
	t.Helper()
	select {
	case r := <-f.reqs:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no post arrived within 10s")
	case <-t.Context().Done():
		t.Fatal("test ended")
	}
	return request{}
}

// rig is a real Dispatcher over a real Ledger in a temporary directory.
type rig struct {
	ledger *state.Ledger
	store  *state.File
	m      *metrics.Metrics
	logs   *synctest.SyncBuffer
	sinks  []*Sink
	stop   func()
}

// newRig builds one Sink per option (Key set from the position, MinGap 10ms unless
// set) and runs a Dispatcher over them until the test ends or stop is called.
func newRig(t *testing.T, dir string, opts ...Options) *rig {
	t.Helper()
	r := &rig{m: metrics.New(prometheus.NewRegistry(), "test"), logs: &synctest.SyncBuffer{}}
	log := zerolog.New(r.logs).Level(zerolog.DebugLevel)
	var names []string
	var ss []sinks.Sink
	var filters []receiver.Filter
	for i, o := range opts {
		o.Key, o.Log = fmt.Sprintf("slack.webhooks[%d]", i), log
		if o.Webhook.Name == "" {
			o.Webhook.Name = fmt.Sprintf("hook%d", i)
		}
		if o.MinGap == 0 {
			o.MinGap = 10 * time.Millisecond
		}
		s, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		// Routing is decided at commit, by the webhooks' filters, as the notifier does
		// (package route compiles the same receiver.Filter; it is above this package).
		f, err := receiver.NewFilter(o.Key, o.Webhook.Common)
		if err != nil {
			t.Fatal(err)
		}
		filters = append(filters, f)
		r.sinks = append(r.sinks, s)
		names = append(names, s.Name())
		ss = append(ss, s)
	}
	store, err := state.OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := store.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	r.store = store
	route := func(e *event.Event) []string {
		var to []string
		for i, f := range filters {
			if ok, _ := f.Match(e); ok {
				to = append(to, names[i])
			}
		}
		return to
	}
	r.ledger, _ = state.NewLedger(store, snap, names, state.Route(route))
	d := sinks.NewDispatcher(sinks.DispatcherOptions{Queue: r.ledger, Sinks: ss, Log: log, Metrics: r.m,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 5 * time.Second})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			cancel()
			<-done
			store.Close()
		})
	}
	t.Cleanup(r.stop)
	return r
}

func (r *rig) commit(t *testing.T, evs ...event.Event) {
	t.Helper()
	if err := r.ledger.Commit(t.Context(), "p", &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{})}, evs); err != nil {
		t.Fatal(err)
	}
}

// drained waits until no event is pending for any sink.
func (r *rig) drained(t *testing.T) {
	t.Helper()
	synctest.Eventually(t, "the outbox to drain", func() bool {
		for _, s := range r.sinks {
			if r.ledger.Count(s.Name()) > 0 {
				return false
			}
		}
		return true
	})
}

// deliveries waits until the Dispatcher counted want deliveries of sink with result: it
// counts just after it marks the events done, so the outbox drains a moment earlier.
func (r *rig) deliveries(t *testing.T, sink, result string, want float64) {
	t.Helper()
	c := r.m.Deliveries.WithLabelValues(sink, result)
	synctest.Eventually(t, fmt.Sprintf("%v %s deliveries by %s", want, result, sink), func() bool { return testutil.ToFloat64(c) == want })
}

// events returns n distinct events; every third fails, the others succeed.
func events(t *testing.T, n int) []event.Event {
	t.Helper()
	evs := make([]event.Event, n)
	for i := range evs {
		status, name := "SUCCESS", "EXTEND"
		if i%3 == 0 {
			status, name = "FAILED", event.SwitchoverTask
		}
		evs[i] = ev(t, "RUNNING", false, fmt.Sprintf(`{"id":"task-%03d","name":%q,"status":%q,
			"user_name":"ops","created_at":"2023-06-17T08:18:06Z","updated_at":"2023-06-17T08:19:06Z"}`, i, name, status))
	}
	return evs
}

// taskID returns the task id a rendered single-event message names.
func taskID(msg slack.WebhookMessage) string {
	text := texts(&msg)
	i := strings.Index(text, "`task-")
	if i < 0 {
		return ""
	}
	return text[i+1 : i+9]
}
