package poller

import "time"

// Stalled reports whether Run's loop is wedged at now: a poll running for longer than
// pollBound, or a sleep that should have ended more than grace ago. It says which, in
// words built from durations only. A poller not running is not stalled. It is for a
// liveness check, so it reads the wall clock's times, whatever Options.Now says.
func (p *Poller) Stalled(now time.Time, pollBound, grace time.Duration) (string, bool) {
	st, stalled := p.beat.Stalled(now, pollBound, grace)
	switch {
	case !stalled:
		return "", false
	case st.Busy:
		return "a poll running for " + st.For.Round(time.Second).String() + " (limit " + pollBound.String() + ")", true
	default:
		return "the loop should have woken " + st.For.Round(time.Second).String() + " ago (limit " + grace.String() + ")", true
	}
}
