package poller

import (
	"math"
	"sync"
	"time"

	"notifier/internal/dcs"
	"notifier/internal/diff"
)

// minFastInterval bounds Options.FastInterval from below: adaptive polling must never
// turn into a hot loop against the API.
const minFastInterval = 250 * time.Millisecond

// minSamples is how many finished tasks of a name must be seen before their durations are
// trusted to predict when a running one ends.
const minSamples = 3

// durationStats keeps a running mean and variance (Welford) of how long tasks of one name
// took, from created_at to updated_at.
type durationStats struct {
	n        int
	mean, m2 float64 // seconds
}

func (s *durationStats) add(d time.Duration) {
	s.n++
	x := d.Seconds()
	delta := x - s.mean
	s.mean += delta / float64(s.n)
	s.m2 += delta * (x - s.mean)
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

// learner learns task durations per name from finished tasks in the listings and
// remembers which tasks were running at the last poll.
type learner struct {
	mu      sync.Mutex
	byName  map[string]*durationStats
	running []runningTask
}

type runningTask struct {
	name    string
	created time.Time
}

// observe learns from the tasks of one committed poll: every finished task that the
// poll's state (next) records as finished and the previous state (prev) did not, so each
// finished task is learned once. Finished tasks the diff did not keep (older than the
// lookback: listed again by an API that ignores the window, or by a window held back by a
// running task) are not learned at every poll.
func (l *learner) observe(prev, next *diff.ProjectState, tasks []dcs.Task, o *diff.Options) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.running = l.running[:0]
	for i := range tasks {
		t := &tasks[i]
		if !o.IsTerminal(t.Status) {
			if !t.Created.IsZero() {
				l.running = append(l.running, runningTask{t.Name, t.Created})
			}
			continue
		}
		if t.Created.IsZero() || t.Updated.Before(t.Created) || !finishedIn(next, t.ID, o) || finishedIn(prev, t.ID, o) {
			continue
		}
		if l.byName == nil {
			l.byName = map[string]*durationStats{}
		}
		s := l.byName[t.Name]
		if s == nil {
			s = &durationStats{}
			l.byName[t.Name] = s
		}
		s.add(t.Updated.Sub(t.Created))
	}
}

// finishedIn reports whether st records the task as finished.
func finishedIn(st *diff.ProjectState, id string, o *diff.Options) bool {
	if st == nil {
		return false
	}
	ts, ok := st.Tasks[id]
	return ok && o.IsTerminal(ts.Status)
}

// wait returns how long to wait before the next poll when a running task's expected end
// is near: fast inside its window, until the window opens when that comes before
// otherwise. ok is false when no running task has a learned duration nearby.
func (l *learner) wait(now time.Time, otherwise, fast time.Duration) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	best, ok := otherwise, false
	for _, r := range l.running {
		s := l.byName[r.name]
		if s == nil || s.n < minSamples {
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
