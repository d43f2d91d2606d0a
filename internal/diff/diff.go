package diff

import (
	"bytes"
	"cmp"
	"sort"
	"time"

	"notifier/internal/dcs"
	"notifier/internal/event"
)

// Reason names why a task produced an event, or why it did not.
type Reason int

// The reasons a task is looked at.
const (
	Unchanged     Reason = iota // same status as last time
	Created                     // first sighting
	StatusChanged               // status differs from the last one seen
	Baseline                    // first sighting during a project's first poll, recorded silently
	History                     // unknown and created before now - lookback - margin (or the horizon): old, never announced
)

// Result is the outcome of one diff.
type Result struct {
	Events  []event.Event // oldest task first
	Next    *ProjectState // the previous state itself when nothing changed
	Changed bool          // Next differs from the previous state and must be saved
	// LastOKOnly: the one change is the time of the last successful poll, refreshed every
	// SaveLastOK. It must be kept, but is not worth a write of its own: a crash that loses
	// it only makes a restart think it was down a little longer.
	LastOKOnly bool
	History    int // unknown tasks ignored as older than the lookback
	Pruned     int // finished tasks forgotten because they left the lookback
	Vanished   int // running tasks forgotten after being unlisted for a whole lookback
	// Abandoned are the ids of running tasks dropped because they were created more than
	// Options.MaxFollow ago: they are no longer followed, and a later change is not announced.
	Abandoned []string

	watch        []event.Event   // stuck events, after the transitions
	ownDurations bool            // Next.Durations and Next.LearnedAt are this result's own copies
	ownSamples   map[string]bool // names whose Next.Durations slice this result made (learn)
}

// classify decides what one listed task means against its last-seen state. An unknown
// task created before the oldest time a poll must look at is history, whatever the API
// returned and however far back the window reached: a server that ignores the window,
// or a running task holding the window back across a long downtime, never makes an old
// task news.
func classify(prev *ProjectState, st TaskState, known bool, t *dcs.Task, o *Options) Reason {
	switch {
	case known && (st.Status == t.Status || t.Status == ""):
		// An empty status says nothing new: keep the last one rather than report a
		// transition to nothing and back.
		return Unchanged
	case known:
		return StatusChanged
	case !t.Created.IsZero() && t.Created.UnixMilli() < horizon(prev, o):
		return History
	case prev == nil && !o.Notify:
		return Baseline
	default:
		return Created
	}
}

// horizon is the creation time before which an unknown task is history: the cutoff of
// this poll, or the state's horizon when it is later.
func horizon(prev *ProjectState, o *Options) int64 {
	h := o.cutoff()
	if prev != nil {
		h = max(h, prev.Horizon)
	}
	return h
}

// Diff compares a poll's tasks with the previous state of the project (nil at its first
// poll). Tasks with the same id count once (the last one listed wins: it was read later).
func Diff(prev *ProjectState, tasks []dcs.Task, o Options) Result {
	// A state that only records a blind spot before the first successful poll: this poll
	// is the first (a baseline), and it ends the blind spot.
	var unread *Gap
	var param string // what an unread state learned of the window's parameter
	if prev != nil && prev.Unread {
		unread, param, prev = prev.Gap, prev.WindowParam, nil
	}
	var old *Tasks
	if prev != nil {
		old = prev.Tasks
	}
	res := Result{Next: prev}
	var b *builder
	next := func() *builder { // copy on first write
		if !res.Changed {
			res.Changed = true
			res.Next = &ProjectState{}
			if prev != nil {
				res.Next.Horizon, res.Next.Durations = prev.Horizon, prev.Durations
				res.Next.LearnedAt = prev.LearnedAt
				res.Next.LastOK, res.Next.Gap = prev.LastOK, prev.Gap
				res.Next.WindowParam = prev.WindowParam
			} else {
				res.Next.Horizon = o.cutoff()
			}
			b = newBuilder(old)
		}
		return b
	}
	if prev == nil {
		next()
		res.Next.WindowParam = param
	}

	loc := locate(old, tasks, o.Index)
	defer loc.release()
	listed := loc.listed
	nowMs, cutoff := o.Now.UnixMilli(), o.cutoff()
	var changed []*dcs.Task
	knownListed := 0
	for i := range listed {
		t := &listed[i]
		at, known := int(loc.at[i]), loc.at[i] >= 0
		var st TaskState
		if known {
			st = old.at(at)
			knownListed++
		}
		switch classify(prev, st, known, t, &o) {
		case History:
			res.History++
			continue
		case Unchanged:
			if retire(prev, t.ID, at, st, t.Raw, cutoff, next, &res, &o) {
				continue
			}
			if name := runningName(t, &o); st.Missing != 0 || st.Name != name && name != "" {
				st.Missing, st.Name = 0, name
				next().setAt(at, st)
			}
			continue
		case Baseline:
			next().set(t.ID, TaskState{Status: t.Status, Created: createdMs(t, nowMs), Name: runningName(t, &o)})
			if o.IsTerminal(t.Status) {
				learn(&res, t.Name, createdMs(t, nowMs), t.Updated, &o)
			}
			continue
		case Created:
			res.Events = append(res.Events, transition(t, "", true, 1, &o))
			next().set(t.ID, TaskState{Status: t.Status, Created: createdMs(t, nowMs), Seq: 1, Name: runningName(t, &o)})
			if o.IsTerminal(t.Status) {
				learn(&res, t.Name, createdMs(t, nowMs), t.Updated, &o)
			}
		case StatusChanged:
			e := transition(t, st.Status, false, st.Seq+1, &o)
			if o.IsTerminal(t.Status) {
				e.Data.WasStuck = st.Stuck
				if !o.IsTerminal(st.Status) {
					next()
					learn(&res, cmp.Or(t.Name, st.Name), st.Created, endOf(t, o.Now), &o)
				}
			}
			res.Events = append(res.Events, e)
			st.Status, st.Seq, st.Missing, st.Name = t.Status, st.Seq+1, 0, runningName(t, &o)
			if !retire(prev, t.ID, at, st, t.Raw, cutoff, next, &res, &o) {
				next().setAt(at, st)
			}
		}
		changed = append(changed, t)
	}
	if knownListed < old.Len() { // else every followed task was listed: nothing to forget
		forget(prev, old, loc, next, &res, &o)
	}
	if b != nil {
		b.flush() // checkStuck changes tasks by their index in the next state
	}
	checkStuck(prev, listed, next, &res, &o)
	sortEvents(res.Events, changed)
	res.Events = append(res.Events, res.watch...)
	restore(prev, unread, next, &res, &o)
	if res.Changed { // a state written anyway: a good time to forget old durations
		boundDurations(&res, &o)
		fitSamples(&res)
	}
	if b != nil {
		res.Next.Tasks = b.done()
	}
	return res
}

// runningName is the name a task's state keeps: its name while it runs (its stuck
// threshold depends on it), nothing once it has finished.
func runningName(t *dcs.Task, o *Options) string {
	if o.IsTerminal(t.Status) {
		return ""
	}
	return t.Name
}

// endOf is when a task that is now finished ended: its updated_at, else now.
func endOf(t *dcs.Task, now time.Time) time.Time {
	if t.Updated.IsZero() {
		return now
	}
	return t.Updated
}

// restore ends a blind spot at this successful poll with a restored event, and keeps the
// time of the last successful poll: at every change of the state, and otherwise every
// SaveLastOK. A blind spot is a gap announced while polls failed, or a state older than
// lookback + margin (the notifier was down): transitions may have been missed meanwhile.
func restore(prev *ProjectState, unread *Gap, next func() *builder, res *Result, o *Options) {
	nowMs := o.Now.UnixMilli()
	var since int64
	switch {
	case unread != nil:
		since = unread.Since
	case prev != nil && prev.Gap != nil:
		since = prev.Gap.Since
	case prev != nil && prev.LastOK != 0 && nowMs-prev.LastOK > (o.Lookback+o.Margin).Milliseconds():
		since = prev.LastOK
	}
	if since != 0 {
		next()
		res.Next.Gap = nil
		res.Events = append([]event.Event{event.NewRestored(event.Restored{
			ProjectID: o.ProjectID, ProjectName: o.ProjectName, Region: o.Region,
			BlindSince: time.UnixMilli(since), BlindUntil: o.Now,
			Complete: !o.Window.IsZero() && o.Window.UnixMilli() <= since, DetectedAt: o.Now,
		})}, res.Events...)
	}
	due := prev == nil || o.SaveLastOK > 0 && nowMs-prev.LastOK >= o.SaveLastOK.Milliseconds()
	res.LastOKOnly = due && prev != nil && !res.Changed && len(res.Events) == 0
	if due || res.Changed {
		next()
		res.Next.LastOK = nowMs
	}
}

// retire drops a task from the next state, and reports whether it did, when it has nothing
// left to tell: finished and created before the cutoff (listed or not: an unknown task that
// old is history), or running for longer than MaxFollow.
func retire(prev *ProjectState, id string, at int, st TaskState, raw []byte, cutoff int64, next func() *builder, res *Result, o *Options) bool {
	switch {
	case o.IsTerminal(st.Status):
		if st.Created >= cutoff {
			return false
		}
		next().delAt(at)
		res.Pruned++
		res.Next.Horizon = max(res.Next.Horizon, st.Created+1)
	case o.overdue(st):
		stuckBeforeAbandon(prev, id, st, raw, res, o)
		next().delAt(at)
		res.Abandoned = append(res.Abandoned, id)
	default:
		return false
	}
	return true
}

// forget drops finished tasks that left the lookback, running tasks followed for longer
// than MaxFollow and running tasks that stayed unlisted for a whole lookback, and marks
// running tasks that went missing.
func forget(prev *ProjectState, old *Tasks, loc *located, next func() *builder, res *Result, o *Options) {
	if old.Len() == 0 {
		return
	}
	cutoff, nowMs := o.cutoff(), o.Now.UnixMilli()
	var buf []byte
	for i := range old.Len() {
		if loc.listedAt(i) {
			continue
		}
		buf = old.idBytes(buf[:0], &old.recs[i])
		st := old.at(i)
		switch {
		case retire(prev, string(buf), i, st, nil, cutoff, next, res, o):
		case o.IsTerminal(st.Status):
		case st.Missing == 0:
			st.Missing = nowMs
			next().setAt(i, st)
		case nowMs-st.Missing > o.Lookback.Milliseconds() && st.Created < cutoff:
			// Also past the cutoff: should it be listed again, it is history and its
			// transitions are not numbered from 1 again (which would repeat event ids).
			next().delAt(i)
			res.Vanished++
		}
	}
}

// dedupe returns the tasks with each id once, at its first position with its last value.
// The common case, no duplicate and no empty id, returns tasks itself: it is only read.
func dedupe(tasks []dcs.Task) []dcs.Task {
	idx := make(map[string]int, len(tasks))
	clean := true
	for i := range tasks {
		if _, dup := idx[tasks[i].ID]; dup || tasks[i].ID == "" {
			clean = false
			break
		}
		idx[tasks[i].ID] = i
	}
	if clean {
		return tasks
	}
	clear(idx)
	out := make([]dcs.Task, 0, len(tasks))
	for _, t := range tasks {
		if t.ID == "" {
			continue
		}
		if i, ok := idx[t.ID]; ok {
			out[i] = t
			continue
		}
		idx[t.ID] = len(out)
		out = append(out, t)
	}
	return out
}

func createdMs(t *dcs.Task, nowMs int64) int64 {
	if t.Created.IsZero() {
		return nowMs
	}
	return t.Created.UnixMilli()
}

func transition(t *dcs.Task, previous string, created bool, seq uint32, o *Options) event.Event {
	e := event.New(event.Transition{
		ProjectID:      o.ProjectID,
		Region:         o.Region,
		TaskID:         t.ID,
		TaskName:       t.Name,
		Status:         t.Status,
		PreviousStatus: previous,
		Created:        created,
		Seq:            seq,
		Task:           bytes.Clone(t.Raw), // Raw shares the whole page's body; an event outlives it
		DetectedAt:     o.Now,
	})
	e.Data.ProjectName = o.ProjectName
	e.Data.InstanceID, e.Data.InstanceName = event.Instance(t.Raw)
	// First seen finished: it started and ended between two polls, unseen running.
	e.Data.UnseenStatuses = created && o.IsTerminal(t.Status)
	return e
}

// sortEvents orders events by their task's creation, oldest first, then by task id, so a
// burst reads in the order things happened.
func sortEvents(evs []event.Event, tasks []*dcs.Task) {
	sort.Sort(byCreated{evs, tasks})
}

type byCreated struct {
	evs   []event.Event
	tasks []*dcs.Task
}

func (b byCreated) Len() int { return len(b.evs) }
func (b byCreated) Swap(i, j int) {
	b.evs[i], b.evs[j] = b.evs[j], b.evs[i]
	b.tasks[i], b.tasks[j] = b.tasks[j], b.tasks[i]
}
func (b byCreated) Less(i, j int) bool {
	ci, cj := b.tasks[i].Created, b.tasks[j].Created
	if !ci.Equal(cj) {
		return ci.Before(cj)
	}
	return b.tasks[i].ID < b.tasks[j].ID
}
