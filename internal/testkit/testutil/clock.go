package testutil

import (
	"context"
	"sync"
	"time"
)

// Clock is a settable time for a component's Now option: it moves only when the test
// moves it (Set, Add) or when the component waits on it (Wait advances it at once).
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Add moves the clock d forward.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Wait is a sleep of d that takes no time: it moves the clock d forward.
func (c *Clock) Wait(_ context.Context, d time.Duration) error {
	c.Add(d)
	return nil
}
