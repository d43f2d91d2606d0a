package poller

import (
	"errors"
	"fmt"
	"time"

	"notifier/internal/dcs"
	"notifier/internal/logx"
)

// LastSuccess returns when the last poll succeeded and was committed (zero: never).
func (p *Poller) LastSuccess() time.Time {
	if ns := p.lastOK.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// Failure is a poll that failed: when, and why in the words of a blind-spot event
// ("credentials refused", "throttled", "unreachable", "API error (HTTP 503)"), never the
// error's text, which may quote a URL.
type Failure struct {
	At     time.Time
	Reason string
}

// LastFailure returns the last poll that failed, nil when none has. A later success does
// not clear it: compare its time with LastSuccess.
func (p *Poller) LastFailure() *Failure { return p.failure.Load() }

// RequestsPerPoll returns how many requests (pages) the last committed poll made; 0
// before the first.
func (p *Poller) RequestsPerPoll() int { return int(p.pages.Load()) }

// Status is what the last poll of a project came to, for /readyz.
type Status struct {
	LastPoll    time.Time // when the last poll ended, successful or not; zero: none yet
	LastSuccess time.Time // when the last successful poll was committed; zero: none yet
	// Error is why the last poll failed, as a class without the error's text (which may
	// quote a URL): "credentials refused", "throttled", "unreachable", "API error (HTTP
	// 503)", "unreadable answer", "state not saved"; "" when it succeeded.
	Error string
}

// Status returns what the last poll came to.
func (p *Poller) Status() Status {
	p.statusMu.Lock()
	defer p.statusMu.Unlock()
	s := p.status
	s.LastSuccess = p.LastSuccess()
	return s
}

// ended records the end of a poll: cause is the failure's class, "" for a success. After
// failures, a success logs one line saying that polling recovered and how long it failed.
func (p *Poller) ended(now time.Time, cause string) {
	p.statusMu.Lock()
	defer p.statusMu.Unlock()
	p.status.LastPoll, p.status.Error = now, cause
	if cause != "" {
		p.failure.Store(&Failure{At: now, Reason: cause})
		if p.failures == 0 {
			p.failingSince = now
		}
		p.failures++
		return
	}
	if p.failures > 0 {
		p.log.Info().Dur("failed_for", logx.Round(now.Sub(p.failingSince))).Int("failed_polls", p.failures).
			Msg("polling recovered")
		p.failures = 0
	}
}

// reasonStateNotSaved is the class of a poll whose result could not be committed.
const reasonStateNotSaved = "state not saved"

// reasonOf says why a poll failed, in words an on-call person reads, without the error's
// text (which may quote a URL).
func reasonOf(err error) string {
	var api *dcs.APIError
	switch {
	case dcs.IsAuth(err):
		return "credentials refused"
	case dcs.IsThrottled(err):
		return "throttled"
	case errors.As(err, &api):
		return fmt.Sprintf("API error (HTTP %d)", api.Status)
	case errors.As(err, new(*dcs.TransportError)):
		return "unreachable"
	default:
		return "unreadable answer"
	}
}
