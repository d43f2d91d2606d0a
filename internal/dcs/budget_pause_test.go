package dcs

import (
	"testing"
	"time"
)

// TestBudgetPauseIsBounded: a Retry-After of a month (a gateway or proxy answering
// nonsense, or an HTTP date far ahead) once paused every project of the access key for
// that month: their polls blocked in Wait, so they did not even fail and no gap event
// said they were blind. The project that got the answer waits at most poll.max_backoff
// itself; the others are paused at most MaxPause.
func TestBudgetPauseIsBounded(t *testing.T) {
	clk := newFakeClock()
	b := clk.budget(10)
	if err := b.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	t0 := clk.Now()
	b.Throttle(30 * 24 * time.Hour)
	if err := b.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := clk.Now().Sub(t0); got > MaxPause {
		t.Fatalf("a Retry-After of 30 days paused the key's projects %v, want at most %v", got, MaxPause)
	}
	if got := clk.Now().Sub(t0); got < MaxPause {
		t.Errorf("paused %v, want the Retry-After honoured up to %v", got, MaxPause)
	}
}
