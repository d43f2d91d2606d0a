// Package diff turns one poll's view of a project's tasks into events and the next state.
// It is pure: no I/O, no clock (the time is an argument), and the previous state is never
// modified.
package diff

import (
	"iter"
	"time"

	"notifier/internal/event"
)

// TaskState is what the notifier remembers of one task: enough to notice a change, to
// know how far back the next poll must reach, and to number the task's transitions.
type TaskState struct {
	Status  string `json:"s"`
	Created int64  `json:"c"`           // created_at (or first sighting when unknown), Unix ms
	Seq     uint32 `json:"q,omitempty"` // events emitted for the task so far
	Missing int64  `json:"m,omitempty"` // Unix ms of the first poll that did not list it, 0 while listed
	Name    string `json:"n,omitempty"` // while running: its stuck threshold depends on it
	Stuck   bool   `json:"k,omitempty"` // its stuck event was emitted
}

// ProjectState is the last-seen state of one project.
type ProjectState struct {
	// Horizon (Unix ms): a task created before it and not in Tasks is old history that was
	// dropped from the state (or predates it) and is never announced.
	Horizon int64  `json:"horizon"`
	Tasks   *Tasks `json:"tasks"` // never nil in a state the diff made or the store loaded
	// Durations are the last finished durations (ms) per task name, MaxDurations at most
	// per name: stuck thresholds and fast polling are learned from them. Bounded by name
	// too (see DurationsTTL and MaxDurationNames): task names can vary without end.
	Durations map[string][]int64 `json:"durations,omitempty"`
	// LearnedAt is when a duration of each name in Durations was last learned, in Unix
	// seconds (one number a name; the second is precise enough to order names). A name
	// without one, in a state written before it was kept, counts as learned at the first
	// diff that rewrites the state: its durations then have DurationsTTL to be learned
	// again (the state cannot tell when its old samples were learned).
	LearnedAt map[string]int64 `json:"learned_at,omitempty"`
	// LastOK is the time of the last successful poll (Unix ms), refreshed at most every
	// Policy.SaveLastOK so that a quiet project is not written at every poll.
	LastOK int64 `json:"last_ok,omitempty"`
	// Gap is the blind spot being reported: set by Blind, ended by the next Diff.
	Gap *Gap `json:"gap,omitempty"`
	// Unread marks a state that only records a blind spot before the project's first
	// successful poll: the next Diff is that first poll (a baseline).
	Unread bool `json:"unread,omitempty"`
	// WindowParam is the window's query parameter learned under dcs.start_time_param =
	// "auto": "start_time" or "begin_time", the one that keeps tasks created before the
	// window out, or "none" when neither does. Empty: nothing learned yet (the API never
	// returned a task older than the window, nor left out one the state knew).
	WindowParam string `json:"window_param,omitempty"`
	// Receivers is what each receiver remembers of this project across restarts and
	// fail-overs (a Slack card's ts, an open incident), by receiver then by the receiver's
	// own key. The state ledger keeps it; the diff never reads or changes it.
	Receivers map[string]map[string]string `json:"receivers,omitempty"`
}

// Gap is a project the notifier could not read: since when, why, and what was announced.
type Gap struct {
	Since     int64  `json:"since"`               // Unix ms of the last successful poll (or of the first attempt)
	Reason    string `json:"reason,omitempty"`    // the last error's class, without secrets
	Announced int    `json:"announced,omitempty"` // 1: the gap event; 2: its escalation too
}

// The learned durations are bounded: MaxDurations per task name, and by name, so that a
// state stays small even when an API's task names vary without end (an id in the name).
const (
	// MaxDurations bounds the finished durations kept per task name.
	MaxDurations = 100
	// DurationsTTL: the durations of a name none was learned of for this long are dropped.
	DurationsTTL = 30 * 24 * time.Hour
	// MaxDurationNames bounds the task names with durations; beyond it, the names learned
	// least recently are dropped. A DCS API has a few dozen task names.
	MaxDurationNames = 256
)

// Policy is a project's diff policy: what is followed, for how long, and what is news.
// It is set once, from the configuration, and embedded in the poller's options.
type Policy struct {
	ProjectID string
	Region    string
	Lookback  time.Duration  // how far back the notifier cares about finished tasks
	Margin    time.Duration  // safety margin added to every window
	Terminal  event.Statuses // statuses after which a task no longer changes
	Notify    bool           // announce the tasks found at a project's first poll (poll.initial = "notify")
	// MaxFollow bounds how long a task that never ends is followed (poll.max_follow): a
	// task still running that long after its creation is dropped from the state and stops
	// holding the window back. 0 follows running tasks for ever.
	MaxFollow time.Duration
	// Stuck says when a running task is stuck ([stuck]); the zero value never says so.
	Stuck StuckPolicy
	// GapAfter is how long a project may go unread before its blind spot is announced
	// (poll.gap_after); 0: never.
	GapAfter time.Duration
	// SaveLastOK is how often the time of the last successful poll is written to an
	// otherwise unchanged state; 0: at every poll.
	SaveLastOK  time.Duration
	ProjectName string // dcs.projects[].name, in watch events
}

// Options carry the policy and the clock for one diff.
type Options struct {
	Policy
	Now time.Time
	// Window is the start of the window this poll read (WindowStart); zero: unknown.
	// A blind spot that began after it is restored complete: every task created during it
	// was listed.
	Window time.Time
	// Index, when set, is where the last diff of this project found its listed tasks: used
	// when the listing and the previous tasks are the same, and updated (see Index).
	Index *Index
}

// IsTerminal reports whether a status ends a task.
func (o *Options) IsTerminal(status string) bool { return o.Terminal.IsTerminal(status) }

// cutoff is the creation time before which finished tasks are forgotten and unknown tasks
// are never announced.
func (o *Options) cutoff() int64 {
	return o.Now.Add(-o.Lookback - o.Margin).UnixMilli()
}

// followed reports whether a task in the state is still running and followed: not
// finished, and not running for longer than MaxFollow.
func (o *Options) followed(t TaskState) bool {
	return !o.IsTerminal(t.Status) && !o.overdue(t)
}

// overdue reports whether a task was created more than MaxFollow ago.
func (o *Options) overdue(t TaskState) bool {
	return o.MaxFollow > 0 && t.Created < o.Now.Add(-o.MaxFollow).UnixMilli()
}

// terminalEach yields, for each task, whether its status is terminal and when it was
// created: what WindowStart, Active and Settled ask of every task at every poll. IsTerminal
// is asked once per run of tasks with the same status (most of a project's tasks share one
// or two), not once per task.
func (t *Tasks) terminalEach(o *Options) iter.Seq2[bool, int64] {
	return func(yield func(bool, int64) bool) {
		if t == nil {
			return
		}
		lastSym, last := -1, false
		for i := range t.recs {
			r := &t.recs[i]
			sym, terminal := r.statusSym(), last
			if sym != lastSym || sym == symOwn {
				terminal = o.IsTerminal(t.str(r, sym, 1))
				lastSym, last = sym, terminal
				if sym == symOwn { // the record's own string: the next one may differ
					lastSym = -1
				}
			}
			if !yield(terminal, r.created) {
				return
			}
		}
	}
}

// followedAt is followed of a task known by terminalEach.
func (o *Options) followedAt(terminal bool, created int64, overdueBefore int64) bool {
	return !terminal && !(o.MaxFollow > 0 && created < overdueBefore)
}

// WindowStart is where the next poll's time window must begin: the older of now - lookback
// and the creation of the oldest task still running, minus the margin. A running task is
// therefore listed by every poll until it ends, or until MaxFollow has passed since its
// creation: then the poll drops it (Result.Abandoned) and the window no longer waits for it.
func WindowStart(prev *ProjectState, o Options) time.Time {
	start := o.Now.Add(-o.Lookback).UnixMilli()
	if prev != nil {
		overdue := o.Now.Add(-o.MaxFollow).UnixMilli()
		for terminal, created := range prev.Tasks.terminalEach(&o) {
			if o.followedAt(terminal, created, overdue) && created < start {
				start = created
			}
		}
	}
	return time.UnixMilli(start).Add(-o.Margin).UTC()
}

// Active reports whether any followed task is still running.
func Active(prev *ProjectState, o Options) bool {
	if prev == nil {
		return false
	}
	overdue := o.Now.Add(-o.MaxFollow).UnixMilli()
	for terminal, created := range prev.Tasks.terminalEach(&o) {
		if o.followedAt(terminal, created, overdue) {
			return true
		}
	}
	return false
}

// Settled reports whether a diff at o.Now of a listing whose last diff left prev as it was
// (no event, and no change but the time of the last successful poll) would again find
// nothing, and leave prev as it is: the same listing cannot say anything new, and nothing
// prev holds is due to change with the clock. A poller may then skip decoding a page whose
// bytes are the last poll's, and diffing it.
//
// Each condition is a rule of Diff that depends on o.Now alone: a running task (it may
// become stuck, overdue, or vanish while unlisted; Stuck and MaxFollow), a finished task
// leaving the lookback (retire), a blind spot to end (Gap, Unread, or a last successful
// poll older than lookback + margin: restore), and the time of the last successful poll
// due to be written (SaveLastOK). Every other rule depends on the listing and prev only.
func Settled(prev *ProjectState, o Options) bool {
	if prev == nil || prev.Unread || prev.Gap != nil || prev.Tasks == nil {
		return false
	}
	nowMs := o.Now.UnixMilli()
	if prev.LastOK != 0 && nowMs-prev.LastOK > (o.Lookback+o.Margin).Milliseconds() {
		return false
	}
	if o.SaveLastOK > 0 && nowMs-prev.LastOK >= o.SaveLastOK.Milliseconds() {
		return false
	}
	cutoff := o.cutoff()
	for terminal, created := range prev.Tasks.terminalEach(&o) {
		if !terminal || created < cutoff {
			return false
		}
	}
	return true
}
