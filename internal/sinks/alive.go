package sinks

import (
	"sync/atomic"
	"time"
)

// heartbeat is where one sink's worker stands, by the wall clock, for a liveness check:
// busy since a time (a Send, a Tick, saving what was delivered), or asleep until one (a
// backoff). Both zero: waiting for events, or not running, which is not a stall.
type heartbeat struct {
	busy  atomic.Int64 // Unix ns the current step began; 0: not busy
	until atomic.Int64 // Unix ns the current backoff ends; 0: not sleeping
}

func (h *heartbeat) working(now time.Time) {
	h.until.Store(0)
	h.busy.Store(now.UnixNano())
}

func (h *heartbeat) sleep(wake time.Time) {
	h.busy.Store(0)
	h.until.Store(wake.UnixNano())
}

func (h *heartbeat) idle() {
	h.busy.Store(0)
	h.until.Store(0)
}

// Stalled lists the workers wedged at now, one line each naming the receiver: one busy in
// a single step for longer than busyBound, or one whose backoff should have ended more
// than grace ago. A worker waiting for events is never stalled: an empty queue is not a
// fault. It is for a liveness check; the lines are built from names and durations only.
func (d *Dispatcher) Stalled(now time.Time, busyBound, grace time.Duration) []string {
	var out []string
	for i, s := range d.sinks {
		h := &d.beats[i]
		if ns := h.busy.Load(); ns != 0 {
			if t := now.Sub(time.Unix(0, ns)); t > busyBound {
				out = append(out, "receiver "+s.Name()+": one delivery step running for "+
					t.Round(time.Second).String()+" (limit "+busyBound.String()+")")
			}
			continue
		}
		if ns := h.until.Load(); ns != 0 {
			if t := now.Sub(time.Unix(0, ns)); t > grace {
				out = append(out, "receiver "+s.Name()+": its worker should have woken "+
					t.Round(time.Second).String()+" ago (limit "+grace.String()+")")
			}
		}
	}
	return out
}
