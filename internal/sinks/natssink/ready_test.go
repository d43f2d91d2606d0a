package natssink

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/metrics"
	"notifier/internal/sinks"
	"notifier/internal/testkit/natstest"
)

// logWatch is a log destination that a test can wait on for a given message.
type logWatch struct {
	mu    sync.Mutex
	msgs  map[string]int
	added chan struct{} // closed and replaced at every line
}

func newLogWatch() *logWatch {
	return &logWatch{msgs: map[string]int{}, added: make(chan struct{})}
}

func (w *logWatch) Write(p []byte) (int, error) {
	var l struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(bytes.TrimSpace(p), &l)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs[l.Message]++
	close(w.added)
	w.added = make(chan struct{})
	return len(p), nil
}

// wait returns once msg has been logged n times, and fails the test after 10s.
func (w *logWatch) wait(t *testing.T, msg string, n int) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		w.mu.Lock()
		got, added := w.msgs[msg], w.added
		w.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-added:
		case <-timeout:
			t.Fatalf("%q logged %d times in 10s, want %d", msg, got, n)
		}
	}
}

// connectedSink is a core NATS sink connected to a server that the test may stop and
// start, logging into a logWatch.
func connectedSink(t *testing.T) (*natstest.Server, *Sink, *logWatch) {
	t.Helper()
	srv := natstest.Restartable(t, natstest.CoreOnly())
	logs := newLogWatch()
	s, err := New(Options{URL: srv.URL(), SubjectPrefix: "dcs.tasks", Log: zerolog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	logs.wait(t, "nats connected", 1)
	return srv, s, logs
}

// Ready is a broadcast: every caller waiting on it (one Dispatcher per shard, all over
// the same sink) wakes at a reconnect, and the first connect leaves no signal behind that
// would cut a later backoff short (as a single buffered channel would: it wakes one
// waiter, and holds a token from the first connect).
func TestReadyWakesEveryWaiterOnce(t *testing.T) {
	srv, s, logs := connectedSink(t)
	select {
	case <-s.Ready():
		t.Fatal("Ready is already signalled after the first connect: a first backoff would be cut short")
	default:
	}

	waiters := []<-chan struct{}{s.Ready(), s.Ready(), s.Ready()}
	srv.Stop()
	logs.wait(t, "nats disconnected; events stay pending", 1)
	srv.Start()
	for i, ready := range waiters {
		select {
		case <-ready:
		case <-time.After(10 * time.Second):
			t.Fatalf("waiter %d of %d never woke at the reconnect", i+1, len(waiters))
		}
	}
	select {
	case <-s.Ready():
		t.Error("Ready is still signalled after the reconnect woke its waiters")
	default:
	}
}

// memQueue is an in-memory sinks.Queue; emptied is closed once every event is delivered.
type memQueue struct {
	mu      sync.Mutex
	evs     []event.Event
	wake    chan struct{}
	emptied chan struct{}
}

func (q *memQueue) Pending(_ string, max int) []event.Event {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]event.Event(nil), q.evs[:min(max, len(q.evs))]...)
}

func (q *memQueue) Done(_ context.Context, _ string, ids []string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.evs = q.evs[len(ids):]
	if len(q.evs) == 0 {
		close(q.emptied)
	}
	return nil
}

func (q *memQueue) Wake(string) <-chan struct{} { return q.wake }

func (q *memQueue) Count(string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.evs)
}

// A replica leading several shards runs one Dispatcher per shard over the one NATS sink:
// when NATS comes back, every shard delivers at once, not only the first to hear of it
// while the others wait out their whole backoff. The backoff starts at 30s (waits of
// 15-30s), so a delivery within 10s was woken.
func TestReconnectWakesEveryShard(t *testing.T) {
	srv, s, logs := connectedSink(t)
	srv.Stop()
	logs.wait(t, "nats disconnected; events stay pending", 1)

	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	var queues []*memQueue
	for _, id := range []string{"a", "b", "c"} {
		q := &memQueue{evs: []event.Event{testEvent(id, "FAILED")}, wake: make(chan struct{}), emptied: make(chan struct{})}
		d := sinks.NewDispatcher(sinks.DispatcherOptions{Queue: q, Sinks: []sinks.Sink{s}, Log: zerolog.New(logs),
			Metrics: metrics.New(prometheus.NewRegistry(), "test"), MinBackoff: 30 * time.Second})
		queues = append(queues, q)
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.Run(ctx)
		}()
	}
	logs.wait(t, "delivery failed; will retry", len(queues)) // every shard waits out its backoff

	srv.Start()
	timeout := time.After(10 * time.Second)
	for i, q := range queues {
		select {
		case <-q.emptied:
		case <-timeout:
			t.Fatalf("shard %d of %d delivered nothing within 10s of the reconnect", i+1, len(queues))
		}
	}
}
