package retry

import (
	"errors"
	"time"
)

// A delivery's error says whether retrying it can help: Permanent marks one that cannot,
// a *RetryAfterError one the other side asked to retry later. These live here, beside the
// policy that reads them, so that the code classifying an answer (httpx) and the code
// retrying it (sinks.Dispatcher) share them without one importing the other.

type permanentError struct {
	err  error
	rest bool // every event from the failed one on, not just that one
}

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying: the event it stopped at can never be
// delivered by this receiver.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// PermanentRest marks err as not worth retrying for the event it stopped at and every
// event after it in the same Send: a digest that the destination refused.
func PermanentRest(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err, rest: true}
}

// IsPermanent reports whether err was marked with Permanent or PermanentRest.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// IsPermanentRest reports whether err was marked with PermanentRest.
func IsPermanentRest(err error) bool {
	var p *permanentError
	return errors.As(err, &p) && p.rest
}

// RetryAfterError carries the delay a destination asked for (an HTTP 429's Retry-After).
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string { return e.Err.Error() }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// AskedDelay returns the delay err asks for (a *RetryAfterError in its chain), or 0.
func AskedDelay(err error) time.Duration {
	var r *RetryAfterError
	if errors.As(err, &r) {
		return r.After
	}
	return 0
}
