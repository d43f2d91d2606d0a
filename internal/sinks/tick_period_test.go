package sinks

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/metrics"
)

// tickTimes is a Ticker sink that records when each Tick ran (Alertmanager's re-send).
type tickTimes struct {
	every time.Duration
	send  func([]event.Event) (int, error) // nil: takes nothing, without error
	mu    sync.Mutex
	at    []time.Time
}

func (s *tickTimes) Name() string { return "am" }
func (s *tickTimes) Send(ctx context.Context, evs []event.Event) (int, error) {
	if err := ctx.Err(); err != nil { // as a real sink's request fails once stopped
		return 0, err
	}
	if s.send != nil {
		return s.send(evs)
	}
	return 0, nil
}
func (s *tickTimes) TickEvery() time.Duration { return s.every }
func (s *tickTimes) Tick(context.Context, Memory) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at = append(s.at, time.Now())
	return nil
}

// An idle Ticker sink (nothing to deliver) must tick about every TickEvery: Alertmanager
// ends an active alert at its endsAt (4 × resend_interval) unless it is re-sent. This runs
// the real dispatcher; the bound is loose for a loaded machine (scheduling delays), yet far
// below what a ticker that stopped re-arming gives (no tick at all). The schedule itself —
// a timer that fires a moment early must not push the tick a whole period — is checked on
// a fake clock by TestTickerFiredEarlyKeepsTheSchedule.
func TestIdleTickerKeepsItsPeriod(t *testing.T) {
	const every = 50 * time.Millisecond
	s := &tickTimes{every: every}
	q := &listQueue{wake: make(chan struct{}, 1)}
	if worst := longestGap(t, s, q, DispatcherOptions{}, 30*every); worst > 4*every {
		t.Fatalf("longest gap between two ticks of an idle sink %s, want about %s", worst, every)
	}
}

// A timer that fires before the tick is due re-arms for the rest of the period and the
// tick then runs on its slot; each next tick is due one period after the previous was
// due, not one period after the worker woke. The defect this guards skipped a whole
// period after an early fire.
func TestTickerFiredEarlyKeepsTheSchedule(t *testing.T) {
	const every = 100 * time.Millisecond
	s := &tickTimes{every: every}
	tk := newTicker(s, nil, zerolog.Nop())
	defer tk.stop()
	start := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
	now := start
	tk.now = func() time.Time { return now }
	tk.next = start
	ticks := func() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.at) }

	tk.fired(t.Context()) // due at once
	if got := ticks(); got != 1 {
		t.Fatalf("ticks at start = %d, want 1", got)
	}
	now = start.Add(every - time.Millisecond) // the timer fired a moment early
	tk.fired(t.Context())
	if got := ticks(); got != 1 {
		t.Fatalf("ticks after an early fire = %d, want still 1 (not due yet)", got)
	}
	if want := start.Add(every); !tk.next.Equal(want) {
		t.Fatalf("next tick due %s after an early fire, want %s", tk.next.Sub(start), want.Sub(start))
	}
	now = start.Add(every + 3*time.Millisecond) // fired again, a little late
	tk.fired(t.Context())
	if got := ticks(); got != 2 {
		t.Fatalf("ticks once due = %d, want 2", got)
	}
	if want := start.Add(2 * every); !tk.next.Equal(want) {
		t.Fatalf("next tick due %s, want %s (one period after the previous was due)", tk.next.Sub(start), want.Sub(start))
	}
	now = start.Add(5*every + time.Millisecond) // a Send held the worker for periods
	tk.maybe(t.Context())
	if got := ticks(); got != 3 {
		t.Fatalf("ticks after a long Send = %d, want 3 (one, no catch-up burst)", got)
	}
	if want := now.Add(every); !tk.next.Equal(want) {
		t.Fatalf("next tick due %s after a late tick, want %s", tk.next.Sub(start), want.Sub(start))
	}
}

// longestGap runs s under a Dispatcher over q for runFor and returns the longest time
// between two of its ticks.
func longestGap(t *testing.T, s *tickTimes, q Queue, o DispatcherOptions, runFor time.Duration) time.Duration {
	t.Helper()
	o.Queue, o.Sinks, o.Log, o.Metrics = q, []Sink{s}, zerolog.Nop(), metrics.New(prometheus.NewRegistry(), "test")
	d := NewDispatcher(o)
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() { defer close(stopped); d.Run(ctx) }()
	time.Sleep(runFor) // the span observed, not a wait for a result
	cancel()
	<-stopped
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.at) < 2 {
		t.Fatalf("%d tick(s) in %s (every %s)", len(s.at), runFor, s.every)
	}
	var worst time.Duration
	for i := 1; i < len(s.at); i++ {
		worst = max(worst, s.at[i].Sub(s.at[i-1]))
	}
	t.Logf("%d ticks in %s (every %s); longest gap %s", len(s.at), runFor, s.every, worst)
	return worst
}

// endless is a queue that always has an event for its sink: a sink kept busy.
type endless struct{ wake chan struct{} }

func (endless) Pending(string, int) []event.Event            { return []event.Event{{ID: "e"}} }
func (endless) Done(context.Context, string, []string) error { return nil }
func (q endless) Wake(string) <-chan struct{}                { return q.wake }
func (endless) Count(string) int                             { return 1 }

// A sink that always has something to send still ticks between its Sends, on time.
// The bound is loose (a loaded machine) yet far below what a tick only when idle gives:
// none at all.
func TestBusyTickerKeepsItsPeriod(t *testing.T) {
	const every = 50 * time.Millisecond
	s := &tickTimes{every: every, send: func(evs []event.Event) (int, error) {
		time.Sleep(every / 10)
		return len(evs), nil
	}}
	if worst := longestGap(t, s, endless{}, DispatcherOptions{}, 30*every); worst > 4*every {
		t.Fatalf("longest gap between two ticks of a busy sink %s, want about %s", worst, every)
	}
}

// A sink whose deliveries fail still ticks on time during the backoff: Alertmanager must
// get its re-sends while one event waits to be retried. The backoff is 20 periods; the
// bound, 4, is loose for a loaded machine yet far below it.
func TestTickerKeepsItsPeriodDuringABackoff(t *testing.T) {
	const every = 50 * time.Millisecond
	s := &tickTimes{every: every, send: func([]event.Event) (int, error) {
		return 0, errors.New("connection refused")
	}}
	o := DispatcherOptions{MinBackoff: 20 * every, MaxBackoff: 20 * every}
	if worst := longestGap(t, s, endless{}, o, 30*every); worst > 4*every {
		t.Fatalf("longest gap between two ticks during a backoff of %s: %s, want about %s", 20*every, worst, every)
	}
}
