package poller

import (
	"time"

	"notifier/internal/dcs"
	"notifier/internal/retry"
)

// How long a failed poll waits before the next. The backoff stays kind to a failing API
// (exponential, with jitter, up to max_backoff), but a short outage must not cost a
// project whose tasks matter now the start or end of a task: while the project is hot (a
// followed task runs, or its last successful poll is less than gap_after ago) a transient
// failure (HTTP 5xx or 408, no answer, a timeout; never a refused credential or a
// throttling answer) is retried within fastRetry for the first fastRetryFor of the
// outage, and no slower than hotRetryCap after that. A Retry-After the API sent still
// wins.

const (
	// fastRetry bounds the waits of a hot project's retries in the first fastRetryFor of an
	// outage: the first successful poll comes within fastRetry (and the failed request's
	// own time) of the API's recovery.
	fastRetry    = 2 * time.Second
	fastRetryFor = time.Minute
	// hotRetryFloor and hotRetryFactor make hotRetryCap: max(active_interval, 2 s) × 4.
	hotRetryFloor  = 2 * time.Second
	hotRetryFactor = 4
	// throttledWait is the wait after a throttling answer without Retry-After: the
	// vendor advises 2-5 s.
	throttledWait = 3 * time.Second
)

// hotRetryCap is the slowest a hot project retries a transient failure once its outage has
// lasted fastRetryFor: max(active_interval, 2 s) × 4.
func hotRetryCap(active time.Duration) time.Duration {
	return max(active, hotRetryFloor) * hotRetryFactor
}

// newBackoff is the backoff of a project's failed polls: from 1 s, doubling, at most
// max_backoff.
func (p *Poller) newBackoff() *retry.Backoff { return retry.New(time.Second, p.maxBackoff) }

// outage is what Run knows of a project's failing streak, on the poller's clock.
type outage struct {
	since  time.Time // the start of the first failed poll of the streak; zero: none
	lastOK time.Time // the last successful poll (this run's, or the saved state's)
}

// hot reports whether a failed poll at now is retried fast: a followed task runs
// (urgent), or the last successful poll is less than gap_after ago.
func (p *Poller) hot(o *outage, now time.Time, urgent bool) bool {
	if urgent {
		return true
	}
	return p.policy.GapAfter > 0 && !o.lastOK.IsZero() && now.Sub(o.lastOK) < p.policy.GapAfter
}

// retryWait returns how long to wait after a poll that failed with err at now, drawing
// from b, and whether the fast rule bounded it.
func (p *Poller) retryWait(b *retry.Backoff, err error, o *outage, now time.Time, urgent bool) (time.Duration, bool) {
	if dcs.IsAuth(err) {
		return p.maxBackoff, false
	}
	asked, _ := dcs.RetryAfter(err)
	if asked == 0 && dcs.IsThrottled(err) {
		asked = throttledWait
	}
	wait := retry.Next(b, asked, p.maxBackoff)
	if !dcs.IsTransient(err) || !p.hot(o, now, urgent) {
		return wait, false
	}
	limit := hotRetryCap(p.active)
	if now.Sub(o.since) < fastRetryFor {
		limit = fastRetry
	}
	if wait <= limit {
		return wait, false
	}
	held := max(retry.Hold(wait, limit), min(asked, p.maxBackoff))
	return held, held < wait
}
