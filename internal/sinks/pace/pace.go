// Package pace holds a receiver to its service's rate limit: a Window allows N posts in any
// period (one a second for a Slack webhook, twenty a minute for a DingTalk or WeCom robot),
// and Wait returns when one more may go. Whoever posts decides what to do when the window
// is full (Slack's webhook waits; the chat robots send what waits as one digest).
package pace

import (
	"context"
	"sync"
	"time"

	"notifier/internal/retry"
)

// Window paces the posts to one service that allows N in any period (DingTalk and WeCom
// robots: 20 a minute; a Slack webhook: one a second): Wait returns when one more may go
// and counts it. Receivers that post to the same service share one
// (receiver.Deps.Share), as the service counts them together. It is safe for concurrent
// use; a nil Window never waits.
type Window struct {
	mu    sync.Mutex
	n     int
	per   time.Duration
	sent  []time.Time // the posts inside the last period, oldest first
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// NewWindow allows n posts in any period per. now and sleep are the clock (nil: the real
// one); a test passes a fake clock's Now and Wait.
func NewWindow(n int, per time.Duration, now func() time.Time, sleep func(context.Context, time.Duration) error) *Window {
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = retry.Sleep
	}
	return &Window{n: max(n, 1), per: per, now: now, sleep: sleep}
}

// forget drops the posts older than the period; w.mu is held.
func (w *Window) forget(now time.Time) {
	i := 0
	for i < len(w.sent) && !w.sent[i].After(now.Add(-w.per)) {
		i++
	}
	w.sent = w.sent[i:]
}

// Free reports whether a post may go now without waiting.
func (w *Window) Free() bool {
	if w == nil {
		return true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.forget(w.now())
	return len(w.sent) < w.n
}

// Wait returns when a post may go, and counts it as sent; it returns ctx's error if ctx
// ends first. A nil Window never waits.
func (w *Window) Wait(ctx context.Context) error {
	if w == nil {
		return ctx.Err()
	}
	for {
		w.mu.Lock()
		now := w.now()
		w.forget(now)
		if len(w.sent) < w.n {
			w.sent = append(w.sent, now)
			w.mu.Unlock()
			return nil
		}
		d := w.sent[0].Add(w.per).Sub(now)
		w.mu.Unlock()
		if err := w.sleep(ctx, d); err != nil {
			return err
		}
	}
}
