package poller

import (
	"sync/atomic"
	"time"
)

// heartbeat is where Run's loop stands, by the wall clock, for a liveness check: polling
// since a time, or asleep until one. Both zero: Run is not running (not started, or
// stopped), which is not a stall.
type heartbeat struct {
	polling atomic.Int64 // Unix ns the current poll began; 0: not polling
	until   atomic.Int64 // Unix ns the current sleep ends; 0: not sleeping
}

// poll records that a poll begins at now.
func (h *heartbeat) poll(now time.Time) {
	h.until.Store(0)
	h.polling.Store(now.UnixNano())
}

// sleep records that the loop sleeps until wake: the time by which it must show up again.
func (h *heartbeat) sleep(wake time.Time) {
	h.polling.Store(0)
	h.until.Store(wake.UnixNano())
}

// stop records that Run returned.
func (h *heartbeat) stop() {
	h.polling.Store(0)
	h.until.Store(0)
}

// Stalled reports whether Run's loop is wedged at now: a poll running for longer than
// pollBound, or a sleep that should have ended more than grace ago. It says which, in
// words built from durations only. A poller not running is not stalled. It is for a
// liveness check, so it reads the wall clock's times, whatever Options.Now says.
func (p *Poller) Stalled(now time.Time, pollBound, grace time.Duration) (string, bool) {
	if ns := p.beat.polling.Load(); ns != 0 {
		if d := now.Sub(time.Unix(0, ns)); d > pollBound {
			return "a poll running for " + d.Round(time.Second).String() + " (limit " + pollBound.String() + ")", true
		}
		return "", false
	}
	if ns := p.beat.until.Load(); ns != 0 {
		if d := now.Sub(time.Unix(0, ns)); d > grace {
			return "the loop should have woken " + d.Round(time.Second).String() + " ago (limit " + grace.String() + ")", true
		}
	}
	return "", false
}
