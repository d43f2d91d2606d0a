package sinks

import "time"

// Stalled lists the workers wedged at now, one line each naming the receiver: one busy in
// a single step for longer than busyBound, or one whose backoff should have ended more
// than grace ago. A worker waiting for events is never stalled: an empty queue is not a
// fault. It is for a liveness check; the lines are built from names and durations only.
func (d *Dispatcher) Stalled(now time.Time, busyBound, grace time.Duration) []string {
	var out []string
	for i, s := range d.sinks {
		st, stalled := d.beats[i].Stalled(now, busyBound, grace)
		switch {
		case !stalled:
		case st.Busy:
			out = append(out, "receiver "+s.Name()+": one delivery step running for "+
				st.For.Round(time.Second).String()+" (limit "+busyBound.String()+")")
		default:
			out = append(out, "receiver "+s.Name()+": its worker should have woken "+
				st.For.Round(time.Second).String()+" ago (limit "+grace.String()+")")
		}
	}
	return out
}
