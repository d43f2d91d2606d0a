package poller

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"notifier/internal/dcs"
	"notifier/internal/diff"
)

// Where a project's polling stands, for the reason a blind spot gives.
const (
	phaseStart   int32 = iota // not polled since the poller started (a start delay, a new leader)
	phaseRequest              // a poll is reading the window
	phaseWait                 // the last poll succeeded; the next is not due
	phaseBackoff              // the last poll failed; the next waits its backoff
)

// minWatchTick bounds how often the watchdog looks, whatever gap_after is.
const minWatchTick = 10 * time.Millisecond

// watchdog keeps a project's deadline: the last successful poll (or, before one, the
// poller's first try) plus gap_after. Its times are by the poller's clock (Options.Now),
// the one the diff and the gap event use.
type watchdog struct {
	// mu serialises a gap commit with a poll's diff and commit: either the poll diffs a
	// state holding the gap (and ends it), or the gap is judged after the poll's success.
	mu       sync.Mutex
	last     atomic.Int64 // Unix ms of the last successful poll in this process; 0: none
	first    atomic.Int64 // Unix ms of the first try (Run's start, or the first Cycle)
	phase    atomic.Int32
	sent     atomic.Int64 // Unix ms when the current poll began to read
	failing  atomic.Bool  // the last poll failed
	progress dcs.Progress // whether the current request waits for its credential's budget
}

// begin records the first try, once.
func (w *watchdog) begin(now time.Time) { w.first.CompareAndSwap(0, now.UnixMilli()) }

// polling records the start of a poll.
func (w *watchdog) polling(now time.Time) {
	w.first.CompareAndSwap(0, now.UnixMilli())
	w.sent.Store(now.UnixMilli())
	w.phase.Store(phaseRequest)
}

// read records a successful poll.
func (w *watchdog) read(now time.Time) {
	w.last.Store(now.UnixMilli())
	w.failing.Store(false)
	w.phase.Store(phaseWait)
}

// failed records a failed poll: it waits its backoff now.
func (w *watchdog) failed() {
	w.failing.Store(true)
	w.phase.Store(phaseBackoff)
}

// deadline is when the project is blind for gap_after; ok is false before any try.
func (w *watchdog) deadline(gapAfter time.Duration) (time.Time, bool) {
	base := max(w.last.Load(), w.first.Load())
	if base == 0 {
		return time.Time{}, false
	}
	return time.UnixMilli(base).Add(gapAfter), true
}

// lastRead is what diff.Blind takes as the last successful poll: this process's, else
// the one kept with the state (Blind reads it: zero here), else the first try when the
// project was never read.
func (w *watchdog) lastRead(prev *diff.ProjectState) time.Time {
	if ms := w.last.Load(); ms != 0 {
		return time.UnixMilli(ms)
	}
	if prev != nil && prev.LastOK != 0 {
		return time.Time{}
	}
	return time.UnixMilli(w.first.Load())
}

// reason says why the project is unread now, in the words of a gap event.
func (p *Poller) reason() string {
	switch p.watch.phase.Load() {
	case phaseRequest:
		// A retry after failed polls (waiting for the budget or an answer, as every request
		// does a moment, and retries more than most): still blind for what they failed
		// with, unless this request alone has waited gap_after.
		pending := p.now().Sub(time.UnixMilli(p.watch.sent.Load()))
		if f := p.failure.Load(); f != nil && p.watch.failing.Load() && pending < p.policy.GapAfter {
			return f.Reason
		}
		if p.watch.progress.Waiting() {
			return "request budget"
		}
		return "no answer"
	case phaseBackoff:
		if f := p.failure.Load(); f != nil {
			return f.Reason
		}
		return "backoff"
	case phaseStart:
		return "not polled since start"
	default:
		return "not polled"
	}
}

// Blindness returns since when the project has been blind and why, when its deadline has
// passed (ok), whether or not the gap event is committed yet: what the status page shows.
func (p *Poller) Blindness() (since time.Time, reason string, ok bool) {
	gapAfter := p.policy.GapAfter
	if gapAfter <= 0 {
		return time.Time{}, "", false
	}
	now := p.now()
	if d, ok := p.watch.deadline(gapAfter); !ok || now.Before(d) {
		return time.Time{}, "", false
	}
	prev := p.ledger.Project(p.policy.ProjectID)
	if prev != nil && prev.Gap != nil {
		return time.UnixMilli(prev.Gap.Since), prev.Gap.Reason, true
	}
	next, _, ok := diff.Blind(prev, p.watch.lastRead(prev), p.reason(), p.diffOptions(now))
	if !ok || next.Gap == nil {
		return time.Time{}, "", false
	}
	return time.UnixMilli(next.Gap.Since), next.Gap.Reason, true
}

// judge commits the project's gap event (and its escalation) once its deadline has
// passed, with the state that records it, so a restart neither repeats nor loses it. A
// commit that fails is tried again at the next look.
func (p *Poller) judge(ctx context.Context, reason string) {
	gapAfter := p.policy.GapAfter
	if gapAfter <= 0 {
		return
	}
	p.watch.mu.Lock()
	defer p.watch.mu.Unlock()
	now := p.now()
	if d, ok := p.watch.deadline(gapAfter); !ok || now.Before(d) {
		return
	}
	prev := p.ledger.Project(p.policy.ProjectID)
	next, evs, ok := diff.Blind(prev, p.watch.lastRead(prev), reason, p.diffOptions(now))
	if !ok {
		return
	}
	if err := p.ledger.Commit(ctx, p.policy.ProjectID, next, evs); err != nil {
		if ctx.Err() == nil {
			p.m.StateSaveErrors.Inc()
			p.log.Warn().Err(err).Msg("could not commit the blind-spot event; will try again")
		}
		return
	}
	p.record(diff.Result{Events: evs, Next: next})
}

// startWatchdog judges the project's deadline every gap_after / 4 until the returned stop
// is called, whatever the polls are doing: waiting out a backoff, waiting for the budget,
// or hanging. It looks from a timer's function, not from a goroutine of its own: a fleet
// of a thousand projects would keep a thousand goroutines (and their stacks) asleep for
// it. stop cancels the look in progress (ctx of its commit) and waits for it to end; no
// look starts after stop.
func (p *Poller) startWatchdog(ctx context.Context) (stop func()) {
	if p.policy.GapAfter <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	every := max(p.policy.GapAfter/4, minWatchTick)
	var (
		mu      sync.Mutex
		stopped bool
		looking sync.WaitGroup
		t       *time.Timer
	)
	look := func() {
		mu.Lock()
		if stopped {
			mu.Unlock()
			return
		}
		looking.Add(1)
		mu.Unlock()
		defer looking.Done()
		p.judge(ctx, p.reason())
		mu.Lock()
		defer mu.Unlock()
		if !stopped {
			t.Reset(every)
		}
	}
	mu.Lock()
	t = time.AfterFunc(every, look)
	mu.Unlock()
	return func() {
		cancel()
		mu.Lock()
		stopped = true
		t.Stop()
		mu.Unlock()
		looking.Wait()
	}
}
