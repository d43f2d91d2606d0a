package app

import (
	"slices"
	"time"

	"notifier/internal/status"
)

// livenessBounds are how long a loop may take before /healthz calls it wedged. They are
// generous on purpose: a liveness failure restarts the process, which must never happen
// for an outage of the DCS API, NATS or a receiver — those end every step by a timeout
// and show in /readyz's detail, the status page and notifier_project_up instead.
type livenessBounds struct {
	poll  time.Duration // one poll, from its first request to its commit
	send  time.Duration // one delivery step of a receiver: a Send, a Tick, or saving its progress
	grace time.Duration // past the planned end of a sleep (interval, backoff) before the loop shows up
}

// newLivenessBounds derives the bounds from the configuration:
//   - a poll is a few requests, each ended by dcs.request_timeout, plus the waits for its
//     credential's request budget: 15 minutes, or 40 request timeouts when that is more,
//     is far past any poll an outage makes (a hung request ends at the timeout, a refused
//     one at once) and still finds a wedged poller within the quarter hour;
//   - a delivery step ends by its sink's own timeouts (nats.publish_timeout, the webhooks'
//     HTTP timeouts; a burst to Slack is one digest message): 15 minutes likewise;
//   - a sleep is a timer: a loop that has not shown up a minute after its planned wake is
//     not coming back.
func newLivenessBounds(requestTimeout time.Duration) livenessBounds {
	return livenessBounds{poll: max(15*time.Minute, 40*requestTimeout), send: 15 * time.Minute, grace: time.Minute}
}

// Liveness is the body of /healthz (internal/web): the wedged loops of the units running,
// each project's poller and each receiver's delivery worker. A loop not running (a shard
// another replica leads, an App stopping) is not wedged. It reads atomics only, so a
// wedged loop cannot wedge it.
func (a *App) Liveness(now time.Time) status.Liveness {
	l := status.Alive()
	for _, u := range a.mode.units() {
		l.Problems = append(l.Problems, u.stalled(now, a.live)...)
	}
	if len(l.Problems) > 0 {
		l.Status = "stalled"
	}
	return l
}

// stalled lists the unit's wedged loops: its pollers', its delivery workers'. A reload or
// a stop holds the unit's lock while it waits for the loops it stops (a request or a send
// each): the check then skips the unit rather than wait, so that a liveness probe never
// hangs on a reload; the next probe judges it.
func (u *unit) stalled(now time.Time, b livenessBounds) []string {
	if !u.mu.TryLock() {
		return nil
	}
	pollers, workers := slices.Clone(u.pollers), slices.Clone(u.workers)
	u.mu.Unlock()
	var out []string
	for _, p := range pollers {
		if why, stalled := p.Stalled(now, b.poll, b.grace); stalled {
			out = append(out, "project "+p.ProjectID()+": "+why)
		}
	}
	for _, w := range workers {
		out = append(out, w.disp.Stalled(now, b.send, b.grace)...)
	}
	return out
}
