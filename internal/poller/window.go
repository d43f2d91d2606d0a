package poller

import (
	"context"
	"time"

	"notifier/internal/diff"
)

// diffOptions are the options of a diff of the project at now.
func (p *Poller) diffOptions(now time.Time) diff.Options {
	return diff.Options{Policy: p.policy, Now: now}
}

// polled is one poll's result with the options it was computed with, and what it took.
type polled struct {
	res      diff.Result
	o        diff.Options
	baseline bool // the project's first successful poll
	requests int
	tasks    int // as listed
	took     time.Duration
	learned  string // the window parameter this poll learned (auto), kept in res.Next
}

// Poll reads the project's current window and diffs it against the committed state,
// without committing (and without learning task durations, which only a commit makes
// known). A failed poll returns an error and no result.
func (p *Poller) Poll(ctx context.Context) (diff.Result, error) {
	r, err := p.poll(ctx)
	return r.res, err
}

func (p *Poller) poll(ctx context.Context) (polled, error) {
	w, err := p.readWindow(ctx, false)
	if err != nil {
		return polled{}, err
	}
	defer w.l.release()
	return p.diffWindow(w, p.ledger.Project(p.policy.ProjectID)), nil
}

// window is one poll's listing of the project's window, before it is diffed.
type window struct {
	l       *listing
	o       diff.Options // with Window set: the start the listing was read from
	learned string       // the window parameter this listing learned (auto)
	took    time.Duration
	prev    *diff.ProjectState // the state the window was read for
	// expect: under VerifySkips, what the listing would have been skipped as (nil: it
	// would not have been).
	expect *settled
}

// readWindow lists the project's current window. A failed read returns an error and no
// window; a window's listing must be released (w.l.release) once diffed. With skip, a
// listing that is the last settled one (settle.go) is not decoded: its l.same is set, and
// it may be diffed only against w.prev.
func (p *Poller) readWindow(ctx context.Context, skip bool) (*window, error) {
	began := time.Now()
	o := p.diffOptions(p.now())
	prev := p.ledger.Project(p.policy.ProjectID)
	start := diff.WindowStart(prev, o)
	var same, expect *settled
	if skip {
		same = p.skippable(prev, o, start)
	}
	if verifySkips.Load() {
		same, expect = nil, same
	}
	l, learned, err := p.read(ctx, prev, start, same)
	took := time.Since(began)
	p.m.PollDuration.WithLabelValues(p.policy.ProjectID).Observe(took.Seconds())
	if err != nil {
		return nil, err
	}
	p.inspect(l, prev)
	o.Window = start
	return &window{l: l, o: o, learned: learned, took: took, prev: prev, expect: expect}, nil
}

// diffWindow diffs a window read against prev, the project's committed state now: a gap
// committed by the watchdog while the window was read is in it (the read's own start does
// not depend on it: a gap changes no task).
func (p *Poller) diffWindow(w *window, prev *diff.ProjectState) polled {
	if s := w.l.same; s != nil { // prev is w.prev (Cycle): the last diff's result holds
		p.skips.Add(1)
		return polled{res: diff.Result{Next: prev, History: s.history}, o: w.o, requests: w.l.pages, tasks: s.tasks, took: w.took}
	}
	res := diff.Diff(prev, w.l.tasks, w.o)
	if w.learned != "" && res.Next != nil && res.Next.WindowParam != w.learned {
		next := *res.Next // the maps are shared, never written: a diff copies before writing
		next.WindowParam = w.learned
		res.Next, res.Changed = &next, true
	}
	return polled{res: res, o: w.o, baseline: prev == nil || prev.Unread,
		requests: w.l.pages, tasks: len(w.l.tasks), took: w.took, learned: w.learned}
}

// The values of Options.WindowParam, and ParamNone, what "auto" learns when neither name
// filters.
const (
	ParamAuto      = "auto"
	ParamStartTime = "start_time"
	ParamBeginTime = "begin_time"
	ParamNone      = "none"
)

// read lists the window. Under "auto", until the project's state knows that begin_time or
// neither filters, start_time is sent on trial: a listing that shows the window ignored (a
// task older than the second sent) is abandoned at that page and the other name is tried,
// once: the one that keeps old tasks out is returned as learned, or ParamNone when neither
// does. A trial listing that leaves out a task the state knows was created before the
// window shows that start_time filters: ParamStartTime is learned, and the trial goes on
// (it costs nothing while the window is kept), so that a server that later ignores it is
// still caught. Either way the listing returned is complete. Afterwards the learned name
// is sent (start_time for ParamNone).
//
// same, when set, is the last settled listing: a first page of the same bytes ends the
// listing at once, not decoded (settle.go).
func (p *Poller) read(ctx context.Context, prev *diff.ProjectState, start time.Time, same *settled) (*listing, string, error) {
	param, trial, known := p.sentParam(prev)
	if same != nil && same.param != param {
		same = nil
	}
	l, err := p.fetch(ctx, start, param, trial, same)
	if err != nil {
		return l, "", err
	}
	if l.same != nil {
		return l, "", nil // what the settled listing showed: nothing to learn
	}
	if !l.aborted {
		if trial && known == "" && leftOut(prev, l) {
			return l, ParamStartTime, nil
		}
		return l, "", nil
	}
	other := ParamBeginTime
	if param == ParamBeginTime {
		other = ParamStartTime
	}
	l.release() // only its counts are used from here
	alt, err := p.fetch(ctx, start, other, false, nil)
	if err != nil {
		return nil, "", err // nothing learned: the next poll tries again
	}
	alt.pages += l.pages
	alt.trialOld = l.beforeStart
	alt.order.up = alt.order.up || l.order.up
	learned := other
	if alt.beforeStart > 0 {
		learned = ParamNone
	}
	return alt, learned, nil
}

// sentParam is the window's query parameter a poll sends first, whether it is on trial,
// and what the state learned of it (read).
func (p *Poller) sentParam(prev *diff.ProjectState) (param string, trial bool, known string) {
	param = p.param
	if param == ParamAuto {
		param = ParamStartTime
		switch known = stateParam(prev); known {
		case ParamBeginTime:
			param = known
		case "", ParamStartTime:
			trial = true
		}
	}
	return param, trial, known
}

// leftOut reports whether a complete listing leaves out a task of the state created before
// the window start it sent: the server filtered on it. (Without a task that old in the
// state, a listing without old tasks says nothing: the project may have none.)
func leftOut(prev *diff.ProjectState, l *listing) bool {
	if prev == nil || prev.Tasks == nil || l.beforeStart > 0 {
		return false
	}
	start := l.start.UnixMilli()
	older := false // checked first without the ids: All makes a string of each
	for t := range prev.Tasks.Values() {
		if older = t.Created < start; older {
			break
		}
	}
	if !older {
		return false
	}
	var listed map[string]struct{}
	for id, t := range prev.Tasks.All() {
		if t.Created >= start {
			continue
		}
		if listed == nil {
			listed = ids(l.tasks)
		}
		if _, ok := listed[id]; !ok {
			return true
		}
	}
	return false
}

// stateParam is the window parameter a project's state learned, "" if none.
func stateParam(st *diff.ProjectState) string {
	if st == nil {
		return ""
	}
	return st.WindowParam
}

// WindowParam returns the window's query parameter the next poll sends: the configured
// one, or under "auto" the one learned ("none" when neither filters; start_time is sent),
// or "auto" while nothing is learned.
func (p *Poller) WindowParam() string {
	if p.param != ParamAuto {
		return p.param
	}
	if s := stateParam(p.ledger.Project(p.policy.ProjectID)); s != "" {
		return s
	}
	return ParamAuto
}

// WindowLearned reports whether WindowParam is what "auto" learned (rather than the
// configured parameter, or "auto" while nothing is learned).
func (p *Poller) WindowLearned() bool {
	return p.param == ParamAuto && stateParam(p.ledger.Project(p.policy.ProjectID)) != ""
}
