// Package retry is the notifier's one retry policy: exponential backoff with jitter,
// capped, never giving up, and stretched to whatever delay the other side asked for.
package retry

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Backoff is an exponential backoff with jitter whose every wait, jitter included, is at
// most its cap.
type Backoff struct {
	b   *backoff.ExponentialBackOff // without jitter: ours is applied below the cap
	max time.Duration
}

// New returns a backoff that starts at initial, doubles, stays at max once there, and
// never stops. Each wait is drawn from [interval/2, interval*3/2] and then held to max: a
// backoff that has reached its cap waits between max/2 and max, never longer. Reset it
// after a success.
func New(initial, max time.Duration) *Backoff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = initial
	b.RandomizationFactor = 0
	b.Multiplier = 2
	b.MaxInterval = max
	b.MaxElapsedTime = 0
	b.Reset()
	return &Backoff{b: b, max: max}
}

// NextBackOff returns the next wait; it implements backoff.BackOff.
func (b *Backoff) NextBackOff() time.Duration {
	d := min(b.b.NextBackOff(), b.max)
	// Jitter in [d/2, d*3/2], cut at the cap rather than clamped to it, so that
	// retries that started together do not all land on the cap together.
	lo, hi := d/2, min(d+d/2, b.max)
	if hi <= lo {
		return d
	}
	return lo + rand.N(hi-lo+1)
}

// Reset starts the backoff over at its initial interval.
func (b *Backoff) Reset() { b.b.Reset() }

// Next returns how long to wait before the next attempt: the backoff's next interval, or
// the delay the server asked for (Retry-After) when that is longer, capped at max. Only
// a Retry-After can make it longer than the backoff's own cap.
func Next(b backoff.BackOff, asked, max time.Duration) time.Duration {
	d := b.NextBackOff()
	if asked > d {
		d = asked
	}
	if max > 0 && d > max {
		d = max
	}
	return d
}

// Hold returns d when it is at most limit, and otherwise a wait drawn from
// [limit/2, limit], as a Backoff at its cap draws them: a rule that bounds a backoff's
// waits (the poller's fast retries after a short outage) keeps their jitter, so that
// retries that started together do not all land on the limit together.
func Hold(d, limit time.Duration) time.Duration {
	if d <= limit || limit <= 0 {
		return d
	}
	lo := limit / 2
	return lo + rand.N(limit-lo+1)
}

// Sleep waits for d, or returns ctx's error as soon as ctx is done.
func Sleep(ctx context.Context, d time.Duration) error { return SleepOrWake(ctx, d, nil) }

// SleepOrWake waits for d, or less: it returns nil early when wake delivers (or is
// closed), as when a destination says it is reachable again, and ctx's error as soon as
// ctx is done. A nil wake never wakes. A ctx already done wins over a d of zero or less.
func SleepOrWake(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	if err := ctx.Err(); err != nil || d <= 0 {
		return err
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	case <-wake:
	}
	return nil
}
