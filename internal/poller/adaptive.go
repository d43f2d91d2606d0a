package poller

import (
	"math"
	"sync"
	"time"

	"notifier/internal/diff"
)

// minFastInterval bounds Options.FastInterval from below: adaptive polling must never
// turn into a hot loop against the API.
const minFastInterval = 250 * time.Millisecond

// minSamples is how many finished tasks of a name must be seen before their durations are
// trusted to predict when a running one ends.
const minSamples = 3

// durationStats are the mean and variance of how long finished tasks of one name took,
// from created_at to updated_at.
type durationStats struct {
	n        int
	mean, m2 float64 // seconds
}

// statsOf summarises durations (ms) with Welford's method.
func statsOf(durations []int64) durationStats {
	var s durationStats
	for _, ms := range durations {
		s.n++
		x := float64(ms) / 1000
		delta := x - s.mean
		s.mean += delta / float64(s.n)
		s.m2 += delta * (x - s.mean)
	}
	return s
}

// window is when a task of this name that started at created is expected to end: the
// mean plus or minus two standard deviations (at least 10 % of the mean).
func (s *durationStats) window(created time.Time) (lo, hi time.Time) {
	sd := 0.0
	if s.n > 1 {
		sd = math.Sqrt(s.m2 / float64(s.n-1))
	}
	sd = max(sd, s.mean/10)
	return created.Add(seconds(s.mean - 2*sd)), created.Add(seconds(s.mean + 2*sd))
}

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

// learner reads, from the committed state, which tasks run and how long finished tasks
// of each name took. The diff learns the durations and the state keeps them (the last
// diff.MaxDurations per name), so a restart forgets nothing and a failed commit learns
// nothing.
type learner struct {
	mu        sync.Mutex
	durations map[string][]int64 // the committed state's; read only
	running   []runningTask
}

type runningTask struct {
	name    string
	created time.Time
}

// observe takes what a committed poll's state says.
func (l *learner) observe(next *diff.ProjectState, o *diff.Options) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.running, l.durations = l.running[:0], nil
	if next == nil {
		return
	}
	l.durations = next.Durations
	for t := range next.Tasks.Values() {
		if t.Name != "" && !o.IsTerminal(t.Status) {
			l.running = append(l.running, runningTask{t.Name, time.UnixMilli(t.Created)})
		}
	}
}

// wait returns how long to wait before the next poll when a running task's expected end
// is near: fast inside its window, until the window opens when that comes before
// otherwise. ok is false when no running task has a learned duration nearby.
func (l *learner) wait(now time.Time, otherwise, fast time.Duration) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	best, ok := otherwise, false
	for _, r := range l.running {
		s := statsOf(l.durations[r.name])
		if s.n < minSamples {
			continue
		}
		lo, hi := s.window(r.created)
		switch {
		case now.After(hi): // overran its usual duration: the regular interval will do
		case !now.Before(lo):
			best, ok = min(best, fast), true
		case lo.Sub(now) < best:
			best, ok = min(best, max(lo.Sub(now), fast)), true
		}
	}
	// Never slower than otherwise: a fast interval above it changes nothing.
	return best, ok && best < otherwise
}
