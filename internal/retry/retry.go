// Package retry is the notifier's one retry policy: exponential backoff with jitter,
// capped, never giving up, and stretched to whatever delay the other side asked for.
package retry

import (
	"context"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// New returns a backoff that starts at initial, doubles with ±50 % jitter, stays at max
// once there, and never stops. Reset it after a success.
func New(initial, max time.Duration) *backoff.ExponentialBackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = initial
	b.RandomizationFactor = 0.5
	b.Multiplier = 2
	b.MaxInterval = max
	b.MaxElapsedTime = 0
	b.Reset()
	return b
}

// Next returns how long to wait before the next attempt: the backoff's next interval, or
// the delay the server asked for (Retry-After) when that is longer, capped at max.
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

// Sleep waits for d, or returns ctx's error as soon as ctx is done.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
