package diff

import (
	"cmp"
	"maps"
	"math"
	"slices"
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
	d := res.Next.Durations[name]
	if !res.ownSamples[name] {
		// A state written before samples were checked may hold absurd ones: they go now,
		// in a copy of this result's own (the previous state's slice is never written).
		// The name's further samples in this diff go into that copy: a burst of 10,000
		// finished tasks copied the 100 samples 10,000 times.
		d = realSamples(d, o.MaxFollow)
		if res.ownSamples == nil {
			res.ownSamples = map[string]bool{}
		}
		res.ownSamples[name] = true
	}
	d = append(d, took)
	if len(d) > MaxDurations {
		d = d[len(d)-MaxDurations:]
	}
	res.Next.Durations[name] = d
	res.Next.LearnedAt[name] = o.Now.Unix()
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
	s.Durations, s.LearnedAt = maps.Clone(s.Durations), maps.Clone(s.LearnedAt)
	if s.Durations == nil {
		s.Durations = map[string][]int64{}
	}
	if s.LearnedAt == nil {
		s.LearnedAt = map[string]int64{}
	}
	res.ownDurations = true
}

// fitSamples copies each sample slice this diff appended to into one of its own length:
// append doubles a slice's array, and the states of 1,000 projects would keep a third of
// their samples' memory unused for as long as nothing is learned of the name again.
func fitSamples(res *Result) {
	for name := range res.ownSamples {
		if d, ok := res.Next.Durations[name]; ok && cap(d) > len(d) {
			res.Next.Durations[name] = slices.Clone(d)
		}
	}
}

// boundDurations keeps res.Next's durations bounded: a name none was learned of for
// DurationsTTL is dropped, and beyond MaxDurationNames the names learned least recently
// are. A name the state has no learned time for (a state written before it was kept) is
// given this diff's time, and its absurd samples are dropped.
func boundDurations(res *Result, o *Options) {
	now := o.Now.Unix()
	oldest := now - int64(DurationsTTL/time.Second)
	if !unbounded(res.Next, oldest) {
		return
	}
	ownDurations(res)
	s := res.Next
	for name, d := range s.Durations {
		at, ok := s.LearnedAt[name]
		if !ok {
			d = realSamples(d, o.MaxFollow)
			s.Durations[name], s.LearnedAt[name], at = d, now, now
		}
		if at < oldest || len(d) == 0 {
			delete(s.Durations, name)
		}
	}
	for name := range s.LearnedAt {
		if _, ok := s.Durations[name]; !ok {
			delete(s.LearnedAt, name)
		}
	}
	if len(s.Durations) <= MaxDurationNames {
		return
	}
	names := slices.Collect(maps.Keys(s.Durations))
	slices.SortFunc(names, func(a, b string) int { // most recently learned first
		return cmp.Or(cmp.Compare(s.LearnedAt[b], s.LearnedAt[a]), cmp.Compare(a, b))
	})
	for _, name := range names[MaxDurationNames:] {
		delete(s.Durations, name)
		delete(s.LearnedAt, name)
	}
}

// unbounded reports whether boundDurations has anything to do: a name over the cap,
// without a learned time, or not learned since oldest, or a learned time without a name.
// It is the common case's whole cost: no copy, no allocation.
func unbounded(s *ProjectState, oldest int64) bool {
	if len(s.Durations) > MaxDurationNames || len(s.LearnedAt) != len(s.Durations) {
		return true
	}
	for name := range s.Durations {
		if at, ok := s.LearnedAt[name]; !ok || at < oldest {
			return true
		}
	}
	return false
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
