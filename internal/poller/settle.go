package poller

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"notifier/internal/dcs"
	"notifier/internal/diff"
)

// settled is what a committed poll that found nothing new keeps of its listing, when the
// listing was one page: the next poll asks the API for the same window, and when the
// answer is the same bytes (its dcs.Sum) and diff.Settled says the clock changes nothing,
// the poll neither decodes the page nor diffs it. Its result is the previous one: no
// event, the state as it is. Most polls of a quiet project are such polls.
//
// The facts kept are those the rest of a poll reads from a listing (inspect, read's
// window trial): the page's tasks and skipped entries, and its earliest creation time,
// which says whether the window start sent, moving forward at every poll, leaves a listed
// task before it (the server ignoring the window: then the page is decoded).
type settled struct {
	state   *diff.ProjectState // the state the poll's diff left: the next poll's must be this one
	sum     dcs.Sum            // the page's body
	param   string             // the window's query parameter sent
	tasks   int                // listed
	skipped int                // entries without an id
	history int                // the diff's Result.History
	first   time.Time          // the earliest created_at listed; zero: none
}

// skippable is the last settled listing, when this poll may skip the same bytes: prev is
// the state it left, the window start leaves every listed task inside, and the diff would
// find nothing new (diff.Settled). Nil otherwise: the page is read and diffed. (read
// checks that the window parameter sent is the settled listing's.)
func (p *Poller) skippable(prev *diff.ProjectState, o diff.Options, start time.Time) *settled {
	if p.noSkip {
		return nil
	}
	p.keptMu.Lock()
	s := p.settled
	p.keptMu.Unlock()
	if s == nil || s.state != prev || !s.first.IsZero() && s.first.Before(start.Truncate(time.Second)) {
		return nil
	}
	if !diff.Settled(prev, o) {
		return nil
	}
	return s
}

// settle keeps, or forgets, what the next poll needs to skip the same listing, after a
// committed poll whose listing was read (not skipped): the listing settles when its diff
// left the state as it was (but the time of the last successful poll), or when a diff of
// it against the state it made finds nothing.
func (p *Poller) settle(w *window, r *polled) {
	var s *settled
	l := w.l
	res := &r.res
	quiet := len(res.Events) == 0 && (!res.Changed || res.LastOKOnly)
	if !quiet && l.pages == 1 && res.Next != nil {
		// A poll that changed the state (the baseline, a transition) settles too when the
		// same listing diffed again against the state it left finds nothing: one diff of
		// tasks already decoded, where a quiet project's next poll would decode and diff.
		o := r.o
		o.Index = nil // the poller's own, for the next poll's listing
		again := diff.Diff(res.Next, l.tasks, o)
		quiet = len(again.Events) == 0 && !again.Changed && again.History == res.History
	}
	if quiet && l.pages == 1 && len(l.read) == 1 && !l.read[0].Sum.IsZero() && !l.aborted &&
		l.beforeStart == 0 && l.trialOld == 0 && w.learned == "" {
		s = &settled{state: res.Next, sum: l.read[0].Sum, param: l.param, tasks: len(l.tasks),
			skipped: l.skipped, history: res.History, first: earliest(l.tasks)}
	}
	p.keptMu.Lock()
	p.settled = s
	p.keptMu.Unlock()
}

// earliest is the earliest creation time of tasks, zero when none has one.
func earliest(tasks []dcs.Task) time.Time {
	var first time.Time
	for i := range tasks {
		if c := tasks[i].Created; !c.IsZero() && (first.IsZero() || c.Before(first)) {
			first = c
		}
	}
	return first
}

// listing is the listing of a poll whose one page was the settled one's bytes.
func (s *settled) listing(start time.Time, param string) *listing {
	return &listing{start: start, param: param, pages: 1, skipped: s.skipped, same: s}
}

// verifySkips: instead of skipping, every poll is read and diffed, and a poll that would
// have been skipped is checked to find what the skip assumes (SkipFaults). For tests.
var verifySkips atomic.Bool

var (
	faultsMu   sync.Mutex
	skipFaults []string
	skipChecks int // polls checked
)

// VerifySkips makes every poller of the process read and diff the polls it would skip as
// settled, and record in SkipFaults each one that finds something the skip would have
// missed. For tests: a package's TestMain turns it on and fails on any fault.
func VerifySkips(on bool) { verifySkips.Store(on) }

// SkipFaults returns what VerifySkips found, and how many polls it checked.
func SkipFaults() (faults []string, checked int) {
	faultsMu.Lock()
	defer faultsMu.Unlock()
	return append([]string(nil), skipFaults...), skipChecks
}

// verifySkip checks a poll read and diffed in full that would have been skipped (its
// page's Sum is the one expected): its listing's facts and its result must be those the
// skip would have given.
func (p *Poller) verifySkip(w *window, r *polled, prev *diff.ProjectState) {
	s := w.expect
	l := w.l
	if s == nil || len(l.read) == 0 || l.read[0].Sum != s.sum {
		return // the page changed: nothing would have been skipped
	}
	res := &r.res
	var faults []string
	if l.pages != 1 || l.aborted || l.beforeStart != 0 || l.trialOld != 0 || w.learned != "" ||
		len(l.tasks) != s.tasks || l.skipped != s.skipped {
		faults = append(faults, fmt.Sprintf("listing: pages %d, aborted %v, before start %d, trial old %d, learned %q, tasks %d (settled %d), skipped %d (settled %d)",
			l.pages, l.aborted, l.beforeStart, l.trialOld, w.learned, len(l.tasks), s.tasks, l.skipped, s.skipped))
	}
	if res.Changed || len(res.Events) > 0 || res.Next != prev || res.History != s.history {
		faults = append(faults, fmt.Sprintf("diff: changed %v, events %d, same state %v, history %d (settled %d)",
			res.Changed, len(res.Events), res.Next == prev, res.History, s.history))
	}
	faultsMu.Lock()
	defer faultsMu.Unlock()
	skipChecks++
	for _, f := range faults {
		skipFaults = append(skipFaults, fmt.Sprintf("project %s at %s: a skipped poll would have missed: %s", p.policy.ProjectID, r.o.Now.Format(time.RFC3339Nano), f))
	}
}
