// Package poller follows one project's task center: it reads every page of the current
// window, diffs it against the committed state, and commits the result with its events.
package poller

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/dcs"
	"notifier/internal/diff"
	"notifier/internal/event"
	"notifier/internal/heartbeat"
	"notifier/internal/logx"
	"notifier/internal/metrics"
	"notifier/internal/retry"
)

// Ledger is where poll results are committed; state.Ledger is the real one.
type Ledger interface {
	Project(id string) *diff.ProjectState
	Commit(ctx context.Context, projectID string, next *diff.ProjectState, evs []event.Event) error
}

// toucher is a Ledger that can keep a state without saving it at once (state.Ledger.Touch).
type toucher interface {
	Touch(projectID string, next *diff.ProjectState)
}

// Options are what a Poller is built from: one project's polling policy, the diff policy
// it polls under, and where it reads and commits.
type Options struct {
	// Policy is the project's diff policy, passed to every diff as it is. MaxFollow 0
	// means DefaultMaxFollow here.
	diff.Policy
	PageSize       int           // tasks per page; default 1000
	Interval       time.Duration // between polls while nothing runs
	ActiveInterval time.Duration // between polls while a followed task runs; default Interval
	MaxBackoff     time.Duration
	// FastInterval, when set, is how often to poll around the expected end of a running
	// task, learned per task name from the durations (created_at to updated_at) of
	// finished tasks in the listings. 0 disables it; it is never less than 250ms.
	FastInterval time.Duration
	// WindowParam is dcs.start_time_param: the window's query parameter, "start_time" or
	// "begin_time", or "auto" (also ""): start_time until the API returns a task older
	// than the window, then the other name is tried once, and the one that filters (or
	// "none") is kept in the project's state.
	WindowParam string
	// StartDelay holds Run's first poll back, so that many projects started together
	// spread their polls (the app derives it from the project id: see app.startDelay).
	StartDelay time.Duration
	Now        func() time.Time // default time.Now

	Lister  dcs.Lister
	Ledger  Ledger
	Log     zerolog.Logger
	Metrics *metrics.Metrics
}

// DefaultMaxFollow is Options.MaxFollow when it is 0, as poll.max_follow's default.
const DefaultMaxFollow = 7 * 24 * time.Hour

// defaultPageSize is Options.PageSize when it is 0, as dcs.page_size's default.
const defaultPageSize = 1000

// Poller polls one project.
type Poller struct {
	policy     diff.Policy
	pageSize   int
	interval   time.Duration
	active     time.Duration
	fast       time.Duration
	maxBackoff time.Duration
	param      string // Options.WindowParam
	startDelay time.Duration
	now        func() time.Time
	lister     dcs.Lister
	ledger     Ledger
	log        zerolog.Logger
	m          *metrics.Metrics

	lastOK       atomic.Int64 // Unix ns of the last committed poll
	watch        watchdog
	pages        atomic.Int64 // requests (pages) of the last committed poll
	failure      atomic.Pointer[Failure]
	statusMu     sync.Mutex
	status       Status
	failingSince time.Time // the first of the failed polls since the last success
	failures     int       // failed polls since the last success
	mu           sync.Mutex
	seenStatuses map[string]bool
	warnedWindow bool
	warnedFull   bool
	unordered    atomic.Bool // a listing was seen that is not newest first: never stop paging early
	learn        learner
	counted      struct { // the running tasks of the last state recorded, under mu
		tasks  *diff.Tasks
		active int
	}

	beat heartbeat.Beat // where Run's loop stands, for liveness (alive.go)
}

// New returns a Poller for o.ProjectID. Lister, Ledger and Metrics are required.
func New(o Options) (*Poller, error) {
	switch {
	case o.ProjectID == "":
		return nil, errors.New("poller: no project id")
	case o.Lister == nil || o.Ledger == nil || o.Metrics == nil:
		return nil, fmt.Errorf("poller: project %s: Lister, Ledger and Metrics are required", o.ProjectID)
	}
	switch o.WindowParam {
	case "":
		o.WindowParam = ParamAuto
	case ParamAuto, ParamStartTime, ParamBeginTime:
	default:
		return nil, fmt.Errorf("poller: project %s: window parameter %q: must be auto, start_time or begin_time", o.ProjectID, o.WindowParam)
	}
	if o.MaxFollow == 0 {
		o.MaxFollow = DefaultMaxFollow
	}
	if o.PageSize <= 0 {
		o.PageSize = defaultPageSize
	}
	if o.ActiveInterval <= 0 {
		o.ActiveInterval = o.Interval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Poller{
		policy: o.Policy, pageSize: o.PageSize, interval: o.Interval, active: o.ActiveInterval,
		fast: o.FastInterval, maxBackoff: o.MaxBackoff, now: o.Now, param: o.WindowParam, startDelay: o.StartDelay,
		lister: o.Lister, ledger: o.Ledger, log: o.Log, m: o.Metrics,
	}, nil
}

// ProjectID returns the id of the project polled.
func (p *Poller) ProjectID() string { return p.policy.ProjectID }

// LastSuccess returns when the last poll succeeded and was committed (zero: never).
func (p *Poller) LastSuccess() time.Time {
	if ns := p.lastOK.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// Failure is a poll that failed: when, and why in the words of a blind-spot event
// ("credentials refused", "throttled", "unreachable", "API error (HTTP 503)"), never the
// error's text, which may quote a URL.
type Failure struct {
	At     time.Time
	Reason string
}

// LastFailure returns the last poll that failed, nil when none has. A later success does
// not clear it: compare its time with LastSuccess.
func (p *Poller) LastFailure() *Failure { return p.failure.Load() }

// RequestsPerPoll returns how many requests (pages) the last committed poll made; 0
// before the first.
func (p *Poller) RequestsPerPoll() int { return int(p.pages.Load()) }

// Status is what the last poll of a project came to, for /readyz.
type Status struct {
	LastPoll    time.Time // when the last poll ended, successful or not; zero: none yet
	LastSuccess time.Time // when the last successful poll was committed; zero: none yet
	// Error is why the last poll failed, as a class without the error's text (which may
	// quote a URL): "credentials refused", "throttled", "unreachable", "API error (HTTP
	// 503)", "unreadable answer", "state not saved"; "" when it succeeded.
	Error string
}

// Status returns what the last poll came to.
func (p *Poller) Status() Status {
	p.statusMu.Lock()
	defer p.statusMu.Unlock()
	s := p.status
	s.LastSuccess = p.LastSuccess()
	return s
}

// ended records the end of a poll: cause is the failure's class, "" for a success. After
// failures, a success logs one line saying that polling recovered and how long it failed.
func (p *Poller) ended(now time.Time, cause string) {
	p.statusMu.Lock()
	defer p.statusMu.Unlock()
	p.status.LastPoll, p.status.Error = now, cause
	if cause != "" {
		p.failure.Store(&Failure{At: now, Reason: cause})
		if p.failures == 0 {
			p.failingSince = now
		}
		p.failures++
		return
	}
	if p.failures > 0 {
		p.log.Info().Dur("failed_for", logx.Round(now.Sub(p.failingSince))).Int("failed_polls", p.failures).
			Msg("polling recovered")
		p.failures = 0
	}
}

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
	w, err := p.readWindow(ctx)
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
}

// readWindow lists the project's current window. A failed read returns an error and no
// window; a window's listing must be released (w.l.release) once diffed.
func (p *Poller) readWindow(ctx context.Context) (*window, error) {
	began := time.Now()
	o := p.diffOptions(p.now())
	prev := p.ledger.Project(p.policy.ProjectID)
	start := diff.WindowStart(prev, o)
	l, learned, err := p.read(ctx, prev, start)
	took := time.Since(began)
	p.m.PollDuration.WithLabelValues(p.policy.ProjectID).Observe(took.Seconds())
	if err != nil {
		return nil, err
	}
	p.inspect(l, prev)
	o.Window = start
	return &window{l: l, o: o, learned: learned, took: took}, nil
}

// diffWindow diffs a window read against prev, the project's committed state now: a gap
// committed by the watchdog while the window was read is in it (the read's own start does
// not depend on it: a gap changes no task).
func (p *Poller) diffWindow(w *window, prev *diff.ProjectState) polled {
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

// read lists the window. Under "auto", until the project's state knows which parameter
// filters, a listing that shows the window ignored (a task older than the second sent) is
// abandoned at that page and the other name is tried, once: the one that keeps old tasks
// out is returned as learned, or ParamNone when neither does. Either way the listing
// returned is complete. Afterwards the learned name is sent (start_time for ParamNone).
func (p *Poller) read(ctx context.Context, prev *diff.ProjectState, start time.Time) (*listing, string, error) {
	param, trial := p.param, false
	if param == ParamAuto {
		param = ParamStartTime
		switch known := stateParam(prev); known {
		case ParamStartTime, ParamBeginTime:
			param = known
		case "":
			trial = true
		}
	}
	l, err := p.fetch(ctx, start, param, trial)
	if err != nil || !l.aborted {
		return l, "", err
	}
	other := ParamBeginTime
	if param == ParamBeginTime {
		other = ParamStartTime
	}
	l.release() // only its counts are used from here
	alt, err := p.fetch(ctx, start, other, false)
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

// Cycle polls and commits. Nothing is committed, and no event leaves, when either fails
// (a failed poll may commit the project's blind spot instead). The learner reads task
// durations from the committed state only. The diff and its commit hold the watchdog's
// lock: a gap it commits meanwhile is in the state diffed, and ended by this poll.
func (p *Poller) Cycle(ctx context.Context) (diff.Result, error) {
	p.watch.polling(p.now())
	w, err := p.readWindow(dcs.WithProgress(ctx, &p.watch.progress))
	if err != nil {
		p.m.Polls.WithLabelValues(p.policy.ProjectID, "error").Inc()
		if ctx.Err() == nil {
			reason := reasonOf(err)
			p.ended(time.Now(), reason)
			p.watch.failed()
			p.judge(ctx, reason)
		}
		return diff.Result{}, err
	}
	defer w.l.release() // the tasks' Raw share the pages' bodies: events keep their own copy
	p.watch.mu.Lock()
	defer p.watch.mu.Unlock()
	r := p.diffWindow(w, p.ledger.Project(p.policy.ProjectID))
	res := r.res
	if t, ok := p.ledger.(toucher); ok && res.LastOKOnly {
		t.Touch(p.policy.ProjectID, res.Next) // saved with the next save: not worth one of its own
	} else if res.Changed || len(res.Events) > 0 {
		if err := p.ledger.Commit(ctx, p.policy.ProjectID, res.Next, res.Events); err != nil {
			p.m.Polls.WithLabelValues(p.policy.ProjectID, "error").Inc()
			p.m.StateSaveErrors.Inc()
			if ctx.Err() == nil {
				p.ended(time.Now(), reasonStateNotSaved)
				p.watch.failed()
			}
			return diff.Result{}, fmt.Errorf("committing poll result: %w", err)
		}
	}
	if p.fast > 0 {
		p.learn.observe(r.res.Next, &r.o)
	}
	p.m.Polls.WithLabelValues(p.policy.ProjectID, "ok").Inc()
	p.watch.read(r.o.Now)
	now := time.Now()
	p.pages.Store(int64(r.requests))
	p.lastOK.Store(now.UnixNano())
	p.m.LastSuccess.WithLabelValues(p.policy.ProjectID).Set(float64(now.Unix()))
	p.ended(now, "")
	if r.learned != "" {
		p.logLearned(r.learned)
	}
	p.log.Debug().Int("requests", r.requests).Int("tasks", r.tasks).Int("events", len(res.Events)).
		Dur("duration", logx.Round(r.took)).Msg("poll")
	if r.baseline && res.Next != nil {
		e := p.log.Info().Int("tasks", res.Next.Tasks.Len())
		if len(res.Events) > 0 {
			e = e.Int("events", len(res.Events)) // poll.initial = "notify"
		}
		e.Msg("first poll of this project: its tasks are recorded as the baseline")
	}
	p.record(res)
	return res, nil
}

// reasonStateNotSaved is the class of a poll whose result could not be committed.
const reasonStateNotSaved = "state not saved"

// reasonOf says why a poll failed, in words an on-call person reads, without the error's
// text (which may quote a URL).
func reasonOf(err error) string {
	var api *dcs.APIError
	switch {
	case dcs.IsAuth(err):
		return "credentials refused"
	case dcs.IsThrottled(err):
		return "throttled"
	case errors.As(err, &api):
		return fmt.Sprintf("API error (HTTP %d)", api.Status)
	case errors.As(err, new(*dcs.TransportError)):
		return "unreachable"
	default:
		return "unreadable answer"
	}
}

func (p *Poller) record(res diff.Result) {
	for i := range res.Events {
		e := &res.Events[i]
		p.m.Events.WithLabelValues(e.Type, string(e.Data.Severity)).Inc()
		l := p.log.Info().Str("event_id", e.ID).Str("type", e.Type).Str("task_id", e.Subject)
		for _, f := range [][2]string{{"task_name", e.Data.TaskName}, {"status", e.Data.Status}, {"previous_status", e.Data.PreviousStatus}} {
			if f[1] != "" { // a new task has no previous status; a watch event no task
				l = l.Str(f[0], f[1])
			}
		}
		l.Str("severity", string(e.Data.Severity)).Msg("task transition")
	}
	active := 0
	if res.Next != nil {
		p.mu.Lock()
		// Tasks are replaced, never modified: an unchanged poll keeps the count.
		if res.Next.Tasks != p.counted.tasks || p.counted.tasks == nil {
			for t := range res.Next.Tasks.Values() {
				if !p.policy.Terminal.IsTerminal(t.Status) {
					active++
				}
			}
			p.counted.tasks, p.counted.active = res.Next.Tasks, active
		}
		active = p.counted.active
		p.mu.Unlock()
		p.m.TasksFollowed.WithLabelValues(p.policy.ProjectID).Set(float64(res.Next.Tasks.Len()))
	}
	p.m.TasksActive.WithLabelValues(p.policy.ProjectID).Set(float64(active))
	if res.Vanished > 0 {
		p.log.Warn().Int("tasks", res.Vanished).Msg("running tasks unlisted for a whole lookback are no longer followed")
	}
	if len(res.Abandoned) > 0 {
		p.log.Warn().Strs("task_ids", res.Abandoned).Dur("max_follow", p.policy.MaxFollow).
			Msg("tasks still running longer than poll.max_follow after their creation are no longer followed; a later change of theirs is not announced")
	}
}

// maxSeenStatuses bounds the status values the poller remembers having logged: an API
// whose status values keep changing (a progress or a time in them) makes it grow no more.
const maxSeenStatuses = 100

// inspect logs what is odd about a listing: unusable entries, statuses never seen
// before, and a time window the server ignored.
func (p *Poller) inspect(l *listing, prev *diff.ProjectState) {
	if l.skipped > 0 {
		p.m.SkippedTasks.WithLabelValues(p.policy.ProjectID).Add(float64(l.skipped))
		p.log.Warn().Int("entries", l.skipped).Msg("skipped task entries without an id")
	}
	if l.order.up {
		p.unordered.Store(true)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range l.tasks {
		s := l.tasks[i].Status
		if p.policy.Terminal.Known(s) || p.seenStatuses[s] {
			continue
		}
		if p.seenStatuses == nil {
			p.seenStatuses = map[string]bool{}
		}
		if len(p.seenStatuses) == maxSeenStatuses {
			p.seenStatuses[s] = true // the last one: the map stops growing here
			p.log.Warn().Int("statuses", maxSeenStatuses).Str("status", s).
				Msg("too many status values never seen before: later ones are not logged (an API whose status values keep changing?)")
			continue
		}
		if len(p.seenStatuses) > maxSeenStatuses {
			continue
		}
		p.seenStatuses[s] = true
		p.log.Info().Str("status", s).Str("task_name", l.tasks[i].Name).
			Msg("status value seen for the first time; treated as not finished")
	}
	id := p.policy.ProjectID
	if l.beforeStart > 0 || l.trialOld > 0 {
		p.m.WindowIgnored.WithLabelValues(id).Inc()
	}
	if l.beforeStart == 0 {
		return
	}
	unfiltered := p.param == ParamAuto && stateParam(prev) == ParamNone
	if unfiltered {
		p.m.WindowUnfiltered.WithLabelValues(id).Inc()
	}
	full := !l.stoppedOld && l.pages > 1
	if full {
		p.m.FullListings.WithLabelValues(id).Inc()
	}
	if !p.warnedWindow && (p.param != ParamAuto || unfiltered) {
		p.warnedWindow = true
		msg := "the API returned tasks created before the requested start time: it seems to ignore " + l.param +
			"; try dcs.start_time_param = \"auto\", which tries the other name"
		if unfiltered {
			msg = "neither start_time nor begin_time keeps tasks created before the window out: " +
				"polls stay correct (old tasks are never announced) but read past the window"
		}
		p.log.Warn().Time("window_start", l.start).Str("param", l.param).Int("older_tasks", l.beforeStart).
			Str("order", l.order.String()).Bool("stopped_early", l.stoppedOld).Int("requests", l.pages).Msg(msg)
	}
	if full && !l.order.newestFirst() && !p.warnedFull {
		p.warnedFull = true
		p.log.Warn().Str("order", l.order.String()).Int("requests", l.pages).Int("tasks", len(l.tasks)).
			Msg("the window is ignored and the listing is not newest first: every poll reads every page of the project's task history " +
				"(see notifier_full_listings_total)")
	}
}

// logLearned says once which window parameter "auto" learned.
func (p *Poller) logLearned(param string) {
	if param == ParamNone {
		p.m.WindowUnfiltered.WithLabelValues(p.policy.ProjectID).Inc()
		p.mu.Lock()
		defer p.mu.Unlock()
		if !p.warnedWindow {
			p.warnedWindow = true
			p.log.Warn().Str("param", ParamNone).Msg("window parameter: none — neither start_time nor begin_time keeps tasks " +
				"created before the window out: polls stay correct (old tasks are never announced) but read past the window")
		}
		return
	}
	p.log.Info().Str("param", param).Msg("window parameter: " + param)
}

// Run polls until ctx is done: after StartDelay, then every ActiveInterval while a
// followed task runs and every Interval otherwise, start to start (the polls of a project
// with a running task wait on the budget as dcs.Urgent); after a failure it backs off
// (exponential with jitter, capped at MaxBackoff, at least what a 429's Retry-After asked
// for).
func (p *Poller) Run(ctx context.Context) {
	p.watch.begin(p.now())
	var wg sync.WaitGroup
	defer wg.Wait()
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	wg.Go(func() { p.watchdog(wctx) })
	defer p.beat.Idle()
	p.beat.Sleep(time.Now().Add(p.startDelay))
	if retry.Sleep(ctx, p.startDelay) != nil {
		return
	}
	b := retry.New(time.Second, p.maxBackoff)
	// urgent: a followed task runs (or one is expected to end soon), so the project's
	// requests go before its credential's quiet projects' in the budget (dcs.Urgent). It is
	// what the last committed state said; a failed poll changes nothing.
	urgent := diff.Active(p.ledger.Project(p.policy.ProjectID), p.diffOptions(p.now()))
	for {
		started := time.Now()
		p.beat.Busy(started)
		cctx := ctx
		if urgent {
			cctx = dcs.Urgent(ctx)
		}
		res, err := p.Cycle(cctx)
		if ctx.Err() != nil {
			return
		}
		var wait time.Duration
		switch {
		case err == nil:
			b.Reset()
			wait = p.interval
			urgent = diff.Active(res.Next, p.diffOptions(p.now()))
			if urgent {
				wait = p.active
			}
			// Intervals run from the start of one poll to the start of the next: a poll
			// that waited for its credential's budget, or a slow answer, does not push
			// every later poll back by as much.
			wait = max(wait-time.Since(started), 0)
			if p.fast > 0 {
				if w, ok := p.learn.wait(p.now(), wait, max(p.fast, minFastInterval)); ok {
					wait, urgent = w, true
				}
			}
		case dcs.IsAuth(err):
			wait = p.maxBackoff
			p.log.Error().Err(err).Dur("retry_in", logx.Round(wait)).
				Msg("the DCS API refused the credentials: check the AK/SK (and security token) and the project id")
		default:
			asked, _ := dcs.RetryAfter(err)
			if asked == 0 && dcs.IsThrottled(err) {
				asked = 3 * time.Second // the vendor advises 2-5 s when the gateway sends no Retry-After
			}
			wait = retry.Next(b, asked, p.maxBackoff)
			p.m.Retries.WithLabelValues("poller").Inc()
			p.log.Warn().Err(err).Dur("retry_in", logx.Round(wait)).Msg("poll failed; no events produced, state unchanged")
		}
		p.beat.Sleep(time.Now().Add(wait))
		if retry.Sleep(ctx, wait) != nil {
			return
		}
	}
}
