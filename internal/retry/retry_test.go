package retry

import (
	"context"
	"testing"
	"time"
)

// The cap holds with the jitter included: a backoff at its cap waits between half the cap
// and the cap, never longer (not up to 1.5 × the cap, as jitter around the cap would).
func TestBackoffNeverExceedsCap(t *testing.T) {
	tests := []struct {
		name         string
		initial, max time.Duration
	}{
		{name: "grows to the cap", initial: 500 * time.Millisecond, max: 30 * time.Second},
		{name: "starts at the cap", initial: 30 * time.Second, max: 30 * time.Second},
		{name: "starts above the cap", initial: time.Minute, max: 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(tt.initial, tt.max)
			for i := range 2000 {
				d := b.NextBackOff()
				if d > tt.max || d < min(tt.initial, tt.max)/2 {
					t.Fatalf("wait %d = %v; want within [%v, %v]", i, d, min(tt.initial, tt.max)/2, tt.max)
				}
			}
		})
	}
}

// Once at the cap the waits still spread over [cap/2, cap] instead of piling up on it.
func TestBackoffAtCapStaysJittered(t *testing.T) {
	b := New(30*time.Second, 30*time.Second)
	atCap := 0
	for range 1000 {
		if b.NextBackOff() == 30*time.Second {
			atCap++
		}
	}
	if atCap > 10 {
		t.Errorf("%d of 1000 waits are exactly the cap; want them spread below it", atCap)
	}
}

// Only what the server asked for may exceed the backoff's cap, and never the overall max.
func TestNextRetryAfterUpToMax(t *testing.T) {
	tests := []struct {
		name       string
		asked, max time.Duration
		want       time.Duration
	}{
		{name: "retry-after longer than the cap", asked: 2 * time.Minute, max: 5 * time.Minute, want: 2 * time.Minute},
		{name: "retry-after longer than max", asked: time.Hour, max: 5 * time.Minute, want: 5 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Next(New(time.Second, 30*time.Second), tt.asked, tt.max); got != tt.want {
				t.Errorf("Next = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestResetStartsOver(t *testing.T) {
	b := New(time.Second, time.Minute)
	for range 20 {
		b.NextBackOff()
	}
	b.Reset()
	if d := b.NextBackOff(); d > 1500*time.Millisecond {
		t.Errorf("first wait after Reset = %v; want at most 1.5s", d)
	}
}

// SleepOrWake returns at the first of: the wait over, a wake, ctx done; ctx done wins
// even over a wait already over.
func TestSleepOrWakeReturnsAtTheFirstSignal(t *testing.T) {
	closed := make(chan struct{})
	close(closed)
	done, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		d    time.Duration
		wake <-chan struct{}
		want error
	}{
		{name: "wait over", ctx: t.Context(), d: time.Millisecond},
		{name: "nothing to wait", ctx: t.Context(), d: -time.Second},
		{name: "woken", ctx: t.Context(), d: time.Hour, wake: closed},
		{name: "ctx done", ctx: done, d: time.Hour, want: context.Canceled},
		{name: "ctx done, nothing to wait", ctx: done, d: 0, want: context.Canceled},
		{name: "ctx done and woken", ctx: done, d: time.Hour, wake: closed, want: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := SleepOrWake(tt.ctx, tt.d, tt.wake); err != tt.want {
				t.Errorf("SleepOrWake = %v, want %v", err, tt.want)
			}
		})
	}
}

// Hold keeps a wait within its limit as a capped Backoff does: unchanged when it fits,
// else drawn from [limit/2, limit], never the same for every caller.
func TestHold(t *testing.T) {
	if got := Hold(time.Second, 2*time.Second); got != time.Second {
		t.Errorf("Hold(1s, 2s) = %s, want 1s", got)
	}
	if got := Hold(time.Minute, 0); got != time.Minute {
		t.Errorf("Hold(1m, 0) = %s, want 1m (no limit)", got)
	}
	seen := map[time.Duration]bool{}
	for range 100 {
		got := Hold(time.Minute, 2*time.Second)
		if got < time.Second || got > 2*time.Second {
			t.Fatalf("Hold(1m, 2s) = %s, want within [1s, 2s]", got)
		}
		seen[got] = true
	}
	if len(seen) < 2 {
		t.Errorf("Hold(1m, 2s) drew one value in 100 calls: no jitter")
	}
}
