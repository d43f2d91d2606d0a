package diff

import (
	"encoding/json"
	"math"
	"slices"
	"time"

	"notifier/internal/dcs"
	"notifier/internal/event"
)

// StuckPolicy says when a running task is stuck ([stuck] in the config).
type StuckPolicy struct {
	After        map[string]time.Duration // explicit thresholds per task name, first
	Factor       float64                  // learned: Factor × p95 of the name's finished durations
	MinSamples   int                      // finished durations needed before learned ones count
	MinAfter     time.Duration            // a learned threshold is never shorter
	DefaultAfter time.Duration            // a name with too few samples; 0: none
}

// Threshold returns how long a task of this name may run before it is stuck, and where
// that came from; 0 when nothing says.
func (s StuckPolicy) Threshold(name string, durations []int64) (time.Duration, string) {
	if d, ok := s.After[name]; ok && d > 0 {
		return d, event.ThresholdConfigured
	}
	if s.Factor > 0 && s.MinSamples > 0 && len(durations) >= s.MinSamples {
		sorted := slices.Sorted(slices.Values(durations))
		p95 := sorted[int(math.Ceil(0.95*float64(len(sorted))))-1]
		return max(scaled(s.Factor, p95), s.MinAfter), event.ThresholdLearned
	}
	if s.DefaultAfter > 0 {
		return s.DefaultAfter, event.ThresholdDefault
	}
	return 0, ""
}

// checkStuck emits the stuck event of every followed task that has run past its threshold
// and was not announced yet, and marks it.
func checkStuck(prev *ProjectState, listed []dcs.Task, next func() *builder, res *Result, o *Options) {
	if res.Next == nil {
		return
	}
	tasks := res.Next.Tasks // the previous tasks, unless the diff changed them (then flushed)
	if res.Changed {
		tasks = &next().t
	}
	var raw map[string][]byte // made at the first stuck task
	var th thresholds
	for i := range tasks.Len() {
		r := &tasks.recs[i]
		if r.stuck() || r.nameSym() == 0 {
			continue
		}
		st := tasks.at(i)
		if !o.followed(st) {
			continue
		}
		limit, source := th.of(prev, st.Name, o)
		if limit <= 0 || runningFor(o.Now, st.Created) <= limit {
			continue
		}
		if raw == nil {
			raw = make(map[string][]byte, len(listed))
			for i := range listed {
				raw[listed[i].ID] = listed[i].Raw
			}
		}
		id := tasks.idAt(i)
		res.watch = append(res.watch, stuckEvent(id, st, raw[id], limit, source, o))
		st.Stuck = true
		next().setAt(i, st) // a first change copies the previous tasks: same indexes
	}
}

// stuckBeforeAbandon emits the stuck event of a running task about to be abandoned for
// having run longer than MaxFollow, if it was never announced: a task is dropped after its
// stuck event, never before it.
func stuckBeforeAbandon(prev *ProjectState, id string, st TaskState, raw []byte, res *Result, o *Options) {
	if st.Stuck || st.Name == "" {
		return
	}
	limit, source := o.Stuck.Threshold(st.Name, durationsOf(prev, st.Name))
	if limit <= 0 {
		return
	}
	res.watch = append(res.watch, stuckEvent(id, st, raw, limit, source, o))
}

func durationsOf(prev *ProjectState, name string) []int64 {
	if prev == nil {
		return nil
	}
	return prev.Durations[name]
}

func stuckEvent(id string, st TaskState, raw []byte, limit time.Duration, source string, o *Options) event.Event {
	if raw == nil { // not in this listing: what the state knows of it
		raw, _ = json.Marshal(map[string]string{"id": id, "name": st.Name, "status": st.Status})
	}
	e := event.NewStuck(event.Stuck{
		ProjectID: o.ProjectID, Region: o.Region, TaskID: id, TaskName: st.Name, Status: st.Status,
		Task: slices.Clone(raw), Running: runningFor(o.Now, st.Created),
		Threshold: limit, Source: source, DetectedAt: o.Now,
	})
	e.Data.ProjectName = o.ProjectName
	e.Data.InstanceID, e.Data.InstanceName = event.Instance(raw)
	return e
}

// Blind is the diff of a failed poll: it returns the state to commit and the gap event to
// announce with it once the project has gone unread for GapAfter (warning), and again
// after 6 × GapAfter (critical, escalated). The blind spot began at lastSeen: the last
// successful poll the caller knows of (the state keeps it only every SaveLastOK), or its
// first try when the project was never read; the state's LastOK when that is later. ok is
// false when there is nothing to commit; prev is never modified.
func Blind(prev *ProjectState, lastSeen time.Time, reason string, o Options) (next *ProjectState, evs []event.Event, ok bool) {
	if o.GapAfter <= 0 {
		return prev, nil, false
	}
	since, announced := lastSeen.UnixMilli(), 0
	switch {
	case prev != nil && prev.Gap != nil:
		since, announced = prev.Gap.Since, prev.Gap.Announced
	case prev != nil && prev.LastOK > since:
		since = prev.LastOK
	}
	blind := time.Duration(o.Now.UnixMilli()-since) * time.Millisecond
	due := 0
	switch {
	case blind >= 6*o.GapAfter:
		due = 2
	case blind >= o.GapAfter:
		due = 1
	}
	if due <= announced {
		return prev, nil, false
	}
	if prev != nil {
		cp := *prev
		next = &cp
	} else {
		next = &ProjectState{Tasks: &Tasks{}, Unread: true}
	}
	next.Gap = &Gap{Since: since, Reason: reason, Announced: due}
	return next, []event.Event{event.NewGap(event.Gap{
		ProjectID: o.ProjectID, ProjectName: o.ProjectName, Region: o.Region,
		BlindSince: time.UnixMilli(since), Reason: reason, Escalated: due == 2, DetectedAt: o.Now,
	})}, true
}
