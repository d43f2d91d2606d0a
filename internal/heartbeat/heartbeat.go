// Package heartbeat says where a loop stands, by the wall clock, for a liveness check: busy
// since a time, or asleep until one. A loop that is neither (waiting for work, not
// running) is never stalled.
package heartbeat

import (
	"sync/atomic"
	"time"
)

// Beat is one loop's heartbeat; the zero value is an idle loop. It is read and written
// with atomics only, so a wedged loop cannot wedge the check.
type Beat struct {
	busy  atomic.Int64 // Unix ns the current step began; 0: not busy
	until atomic.Int64 // Unix ns the current sleep ends; 0: not sleeping
}

// Busy records that a step begins at now.
func (b *Beat) Busy(now time.Time) {
	b.until.Store(0)
	b.busy.Store(now.UnixNano())
}

// Sleep records that the loop sleeps until wake: the time by which it must show up again.
func (b *Beat) Sleep(wake time.Time) {
	b.busy.Store(0)
	b.until.Store(wake.UnixNano())
}

// Idle records that the loop waits for work, or stopped.
func (b *Beat) Idle() {
	b.busy.Store(0)
	b.until.Store(0)
}

// Stall is what a stalled loop is doing: Busy for longer than its bound, or Late past its
// wake by more than the grace; For says how long.
type Stall struct {
	Busy bool
	For  time.Duration
}

// Stalled reports whether the loop is wedged at now: busy in one step for longer than
// busyBound, or asleep past its wake by more than grace.
func (b *Beat) Stalled(now time.Time, busyBound, grace time.Duration) (Stall, bool) {
	if ns := b.busy.Load(); ns != 0 {
		d := now.Sub(time.Unix(0, ns))
		return Stall{Busy: true, For: d}, d > busyBound
	}
	if ns := b.until.Load(); ns != 0 {
		d := now.Sub(time.Unix(0, ns))
		return Stall{For: d}, d > grace
	}
	return Stall{}, false
}
