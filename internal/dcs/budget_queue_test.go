package dcs

import (
	"context"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"notifier/internal/testkit/testutil"
)

// stepClock is a clock that only the test moves (Advance): a sleep blocks until the clock
// has reached its end, so many waiters can sleep at once, as on a real clock.
type stepClock struct {
	mu       sync.Mutex
	t        time.Time
	sleepers map[chan struct{}]time.Time
	timers   []stepTimer
}

type stepTimer struct {
	at time.Time
	f  func()
}

func newStepClock() *stepClock {
	return &stepClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), sleepers: map[chan struct{}]time.Time{}}
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	ch := make(chan struct{})
	c.sleepers[ch] = c.t.Add(d)
	c.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.sleepers, ch)
		c.mu.Unlock()
		return ctx.Err()
	}
}

// After calls f once the clock has reached d from now.
func (c *stepClock) After(d time.Duration, f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timers = append(c.timers, stepTimer{c.t.Add(d), f})
}

// Advance moves the clock d forward, ending the sleeps and firing the timers due.
func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	var due []func()
	for ch, until := range c.sleepers {
		if !until.After(c.t) {
			delete(c.sleepers, ch)
			close(ch)
		}
	}
	c.timers = slices.DeleteFunc(c.timers, func(x stepTimer) bool {
		if x.at.After(c.t) {
			return false
		}
		due = append(due, x.f)
		return true
	})
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// waiting is how many requests wait in b's queues.
func (b *Budget) waiting() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.urgent) + len(b.quiet)
}

type nameKey struct{}

// TestBudgetUrgentFirst: behind a request just sent, three quiet requests wait, then two
// urgent ones come: the first goes at once (urgent requests keep the window and their own
// spacing, not a quiet one's), the second a spacing after it, then the quiet ones in the
// order they came, a spacing apart; none of them is left waiting.
func TestBudgetUrgentFirst(t *testing.T) {
	clk := newStepClock()
	b := NewBudget(BudgetOptions{PerSecond: 10, Now: clk.Now, Sleep: clk.Sleep})
	var mu sync.Mutex
	var order []string
	b.onStart = func(ctx context.Context, _ time.Time) {
		if name, ok := ctx.Value(nameKey{}).(string); ok {
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
		}
	}
	if err := b.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i, name := range []string{"quiet1", "quiet2", "quiet3", "urgent1", "urgent2"} {
		ctx := context.WithValue(t.Context(), nameKey{}, name)
		if name[0] == 'u' {
			ctx = Urgent(ctx)
		}
		wg.Go(func() {
			if err := b.Wait(ctx); err != nil {
				t.Error(err)
			}
		})
		if name == "urgent1" {
			testutil.Eventually(t, name+" sent", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return slices.Contains(order, name)
			})
			continue
		}
		want := i + 1
		if name == "urgent2" {
			want = i // urgent1 went
		}
		testutil.Eventually(t, name+" waiting", func() bool { return b.waiting() == want })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for steps := 0; ; steps++ {
		select {
		case <-done:
		default:
			if steps > 1_000_000 {
				t.Fatal("the waiting requests never all went out")
			}
			clk.Advance(5 * time.Millisecond)
			runtime.Gosched()
			continue
		}
		break
	}
	want := []string{"urgent1", "urgent2", "quiet1", "quiet2", "quiet3"}
	if !slices.Equal(order, want) {
		t.Errorf("served %v, want %v", order, want)
	}
}

// TestBudgetUnderLoad: 40 projects' requests, a third of them urgent, some giving up while
// they wait, against a budget of 10/s throttled twice (once with a Retry-After) while the
// clock moves in random steps: starts are at least 115 ms apart (230 ms at half rate), so
// every run of 11 spans at least 1.15 s; nothing starts inside the Retry-After pause;
// every request that did not give up went out, and none that gave up took a slot.
func TestBudgetUnderLoad(t *testing.T) {
	clk := newStepClock()
	b := NewBudget(BudgetOptions{PerSecond: 10, Now: clk.Now, Sleep: clk.Sleep})
	var mu sync.Mutex
	var starts []time.Time
	var urgent []bool
	b.onStart = func(ctx context.Context, at time.Time) {
		mu.Lock()
		starts, urgent = append(starts, at), append(urgent, IsUrgent(ctx))
		mu.Unlock()
	}
	t0 := clk.Now()
	// The throttles come at the clock's reading when the timer runs (Advance may have moved
	// past the timer's time); a start at that same instant may have come before them.
	var slowAt, pauseAt time.Time
	clk.After(20*time.Second, func() { slowAt = clk.Now(); b.Throttle(0) })
	clk.After(100*time.Second, func() { pauseAt = clk.Now(); b.Throttle(3 * time.Second) })

	const workers, each = 40, 30
	var wg sync.WaitGroup
	var okMu sync.Mutex
	ok := 0
	for w := range workers {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(w), 17))
			for range each {
				ctx, cancel := context.WithCancel(t.Context())
				if w%3 == 0 {
					ctx = Urgent(ctx)
				}
				if rnd.IntN(5) == 0 {
					clk.After(time.Duration(rnd.IntN(2000))*time.Millisecond, cancel)
				}
				if b.Wait(ctx) == nil {
					okMu.Lock()
					ok++
					okMu.Unlock()
				}
				cancel()
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	rnd := rand.New(rand.NewPCG(1, 2))
	for steps := 0; ; steps++ {
		select {
		case <-done:
		default:
			if steps > 10_000_000 {
				t.Fatal("the requests never all went out")
			}
			clk.Advance(time.Duration(rnd.IntN(30)) * time.Millisecond)
			runtime.Gosched()
			continue
		}
		break
	}
	mu.Lock()
	defer mu.Unlock()
	if len(starts) != ok || ok < workers*each/2 {
		t.Fatalf("%d starts logged, %d waits succeeded of %d", len(starts), ok, workers*each)
	}
	// Half rate from each throttle until SlowFor after it (and its pause).
	halved := func(from, to time.Time) bool {
		return from.After(slowAt) && to.Before(slowAt.Add(SlowFor)) ||
			from.After(pauseAt) && to.Before(pauseAt.Add(3*time.Second+SlowFor))
	}
	for i, s := range starts {
		if i+10 < len(starts) && starts[i+10].Sub(s) < 1150*time.Millisecond {
			t.Fatalf("11 starts within %v from +%v", starts[i+10].Sub(s), s.Sub(t0))
		}
		if i+5 < len(starts) && halved(s, starts[i+5]) && starts[i+5].Sub(s) < 1150*time.Millisecond {
			t.Fatalf("6 starts within %v from +%v at half rate", starts[i+5].Sub(s), s.Sub(t0))
		}
		// A request that is not urgent keeps the spacing after any start; an urgent one
		// after the last urgent start.
		if urgent[i] {
			for j := i - 1; j >= 0; j-- {
				if urgent[j] {
					if d := s.Sub(starts[j]); d < 115*time.Millisecond || halved(starts[j], s) && d < 230*time.Millisecond {
						t.Fatalf("urgent starts %v apart at +%v", d, s.Sub(t0))
					}
					break
				}
			}
		}
		if i > 0 && !urgent[i] && s.Sub(starts[i-1]) < 115*time.Millisecond {
			t.Fatalf("a quiet start %v after the last at +%v", s.Sub(starts[i-1]), s.Sub(t0))
		}
		if i > 0 && !urgent[i] && halved(starts[i-1], s) && s.Sub(starts[i-1]) < 230*time.Millisecond {
			t.Fatalf("a quiet start %v after the last at +%v at half rate", s.Sub(starts[i-1]), s.Sub(t0))
		}
		if s.After(pauseAt) && s.Before(pauseAt.Add(3*time.Second)) {
			t.Fatalf("a start at +%v inside the Retry-After pause from +%v", s.Sub(t0), pauseAt.Sub(t0))
		}
	}
	if last := starts[len(starts)-1]; !last.After(pauseAt.Add(3 * time.Second)) {
		t.Errorf("the run ended at +%v, before the second throttle was tested", last.Sub(t0))
	}
}
