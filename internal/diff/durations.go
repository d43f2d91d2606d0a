package diff

import (
	"maps"
	"math"
	"time"
)

// learn records how long a finished task took, when both ends are known and the duration
// can be a real one (sample). res.Next must be the new state already (next() called).
func learn(res *Result, name string, created int64, ended time.Time, o *Options) {
	if name == "" || ended.IsZero() {
		return
	}
	took, ok := sample(created, ended.UnixMilli(), o.MaxFollow)
	if !ok {
		return
	}
	ownDurations(res)
	// A state written before samples were checked may hold absurd ones: they go now.
	d := append(realSamples(res.Next.Durations[name], o.MaxFollow), took)
	if len(d) > MaxDurations {
		d = d[len(d)-MaxDurations:]
	}
	res.Next.Durations[name] = d
}

// sample is the duration (ms) of a task created and ended at these Unix ms, and whether
// it can be a real one: not negative (an updated_at before created_at), and not longer
// than maxFollow (an updated_at far in the future, such as a "never" placeholder: no task
// is followed that long). 0 sets no upper bound.
func sample(created, ended int64, maxFollow time.Duration) (int64, bool) {
	took := ended - created
	if ended < created || took < 0 { // took < 0: the subtraction overflowed
		return 0, false
	}
	return took, maxFollow <= 0 || took <= maxFollow.Milliseconds()
}

// realSamples returns a copy of the durations without those sample rejects.
func realSamples(durations []int64, maxFollow time.Duration) []int64 {
	out := make([]int64, 0, len(durations)+1)
	for _, d := range durations {
		if _, ok := sample(0, d, maxFollow); ok {
			out = append(out, d)
		}
	}
	return out
}

// ownDurations makes res.Next's durations its own, on the first write: the previous state
// is never modified.
func ownDurations(res *Result) {
	if res.ownDurations {
		return
	}
	s := res.Next
	s.Durations = maps.Clone(s.Durations)
	if s.Durations == nil {
		s.Durations = map[string][]int64{}
	}
	res.ownDurations = true
}

// scaled is factor × a duration in ms, saturated: a learned threshold never overflows
// into a negative one (which max(…, min_after) would make min_after).
func scaled(factor float64, ms int64) time.Duration {
	d := factor * float64(ms) * float64(time.Millisecond)
	switch {
	case d >= math.MaxInt64: // float64(math.MaxInt64) is 2⁶³, already out of range
		return math.MaxInt64
	case d <= math.MinInt64:
		return math.MinInt64
	case math.IsNaN(d):
		return 0
	}
	return time.Duration(d)
}

// runningFor is how long a task created at created (Unix ms) has run at now, in whole ms
// as the state keeps them, saturated on an absurd creation time instead of overflowing.
func runningFor(now time.Time, created int64) time.Duration {
	return time.UnixMilli(now.UnixMilli()).Sub(time.UnixMilli(created))
}
