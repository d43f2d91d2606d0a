package pace

import (
	"testing"
	"time"

	"notifier/internal/testkit/testutil"
)

func TestWindowAllowsNInAnyPeriod(t *testing.T) {
	clk := testutil.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	start := clk.Now()
	w := NewWindow(20, time.Minute, clk.Now, clk.Wait)
	for i := range 20 {
		if !w.Free() {
			t.Fatalf("post %d: the window is full", i)
		}
		if err := w.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if w.Free() || clk.Now() != start {
		t.Fatalf("after 20 posts: free %v, clock moved %s", w.Free(), clk.Now().Sub(start))
	}
	if err := w.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := clk.Now().Sub(start); got != time.Minute {
		t.Fatalf("the 21st post waited %s, want 1m (the first post's minute)", got)
	}
}
