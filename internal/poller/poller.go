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
	// IdleInterval, when set, replaces Interval (poll.interval = "auto"): it is asked after
	// every successful poll, with the requests (pages) that poll made. A followed task's
	// polls then come every min(ActiveInterval, its answer).
	IdleInterval func(requests int) time.Duration
	// WindowParam is dcs.start_time_param: the window's query parameter, "start_time" or
	// "begin_time", or "auto" (also ""): start_time until the API returns a task older
	// than the window, then the other name is tried once, and the one that filters (or
	// "none") is kept in the project's state.
	WindowParam string
	// StartDelay holds Run's first poll back, so that many projects started together
	// spread their polls (the app derives it from the project id: see app.startDelay).
	StartDelay time.Duration
	Now        func() time.Time // default time.Now
	// Sleep is Run's wait between polls; default retry.Sleep. Tests pass a fake clock's,
	// with its Now.
	Sleep func(context.Context, time.Duration) error

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
	idle       func(requests int) time.Duration // Options.IdleInterval; nil: interval
	active     time.Duration
	fast       time.Duration
	maxBackoff time.Duration
	param      string // Options.WindowParam
	startDelay time.Duration
	now        func() time.Time
	sleep      func(context.Context, time.Duration) error
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
	keptMu       sync.Mutex
	kept         []*dcs.Page  // the last committed poll's pages, for the next (keep.go)
	index        diff.Index   // where its diff found their tasks, while they are kept; Cycle's
	settled      *settled     // the last committed listing, when the next poll may skip it (settle.go)
	skips        atomic.Int64 // polls not decoded nor diffed: the settled listing's bytes
	noSkip       bool         // tests: never skip
	counted      struct {     // the running tasks of the last state recorded, under mu
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
	if o.Sleep == nil {
		o.Sleep = retry.Sleep
	}
	return &Poller{
		policy: o.Policy, pageSize: o.PageSize, interval: o.Interval, idle: o.IdleInterval, active: o.ActiveInterval,
		fast: o.FastInterval, maxBackoff: o.MaxBackoff, now: o.Now, sleep: o.Sleep, param: o.WindowParam, startDelay: o.StartDelay,
		lister: o.Lister, ledger: o.Ledger, log: o.Log, m: o.Metrics,
	}, nil
}

// ProjectID returns the id of the project polled.
func (p *Poller) ProjectID() string { return p.policy.ProjectID }

// Run polls until ctx is done: after StartDelay, then every ActiveInterval while a
// followed task runs and every Interval (or what IdleInterval says) otherwise, start to
// start (the polls of a project with a running task wait on the budget as dcs.Urgent);
// after a failure it backs off (exponential with jitter, capped at MaxBackoff, at least
// what a 429's Retry-After asked for), retrying a transient failure of a hot project
// sooner (retrywait.go).
func (p *Poller) Run(ctx context.Context) {
	p.watch.begin(p.now())
	defer p.startWatchdog(ctx)()
	defer p.beat.Idle()
	p.beat.Sleep(time.Now().Add(p.startDelay))
	if p.sleep(ctx, p.startDelay) != nil {
		return
	}
	b := p.newBackoff()
	// urgent: a followed task runs (or one is expected to end soon), so the project's
	// requests go before its credential's quiet projects' in the budget (dcs.Urgent). It is
	// what the last committed state said; a failed poll changes nothing.
	prev := p.ledger.Project(p.policy.ProjectID)
	urgent := diff.Active(prev, p.diffOptions(p.now()))
	var out outage
	if prev != nil && prev.LastOK > 0 {
		out.lastOK = time.UnixMilli(prev.LastOK)
	}
	for {
		started := p.now()
		p.beat.Busy(time.Now())
		cctx := ctx
		if urgent {
			cctx = dcs.Urgent(ctx)
		}
		res, err := p.cycleApart(cctx)
		if ctx.Err() != nil {
			return
		}
		var wait time.Duration
		switch {
		case err == nil:
			b.Reset()
			out = outage{lastOK: p.now()}
			wait = p.idleInterval()
			urgent = diff.Active(res.Next, p.diffOptions(p.now()))
			if urgent {
				wait = min(p.active, wait)
			}
			// Intervals run from the start of one poll to the start of the next: a poll
			// that waited for its credential's budget, or a slow answer, does not push
			// every later poll back by as much.
			wait = max(wait-p.now().Sub(started), 0)
			if p.fast > 0 {
				if w, ok := p.learn.wait(p.now(), wait, max(p.fast, minFastInterval)); ok {
					wait, urgent = w, true
				}
			}
		case dcs.IsAuth(err):
			wait, _ = p.retryWait(b, err, &out, p.now(), urgent)
			p.log.Error().Err(err).Dur("retry_in", logx.Round(wait)).
				Msg("the DCS API refused the credentials: check the AK/SK (and security token) and the project id")
		default:
			if out.since.IsZero() {
				out.since = started
			}
			var fast bool
			wait, fast = p.retryWait(b, err, &out, p.now(), urgent)
			p.m.Retries.WithLabelValues("poller").Inc()
			p.log.Warn().Err(err).Dur("retry_in", logx.Round(wait)).Bool("fast_retry", fast).
				Msg("poll failed; no events produced, state unchanged")
		}
		p.beat.Sleep(time.Now().Add(wait))
		if p.sleep(ctx, wait) != nil {
			return
		}
	}
}

// cycleApart runs Cycle on a goroutine of its own and waits for it. Reading and diffing a
// page grows a goroutine's stack to several times its first size; Run's goroutine, which
// sleeps between polls for the life of the process, would keep that stack (and a fleet of
// 1,000 quiet projects ~10 MB of them), where a goroutine that ends hands it back.
func (p *Poller) cycleApart(ctx context.Context) (res diff.Result, err error) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, err = p.Cycle(ctx)
	}()
	<-done
	return res, err
}

// IdleInterval returns the wait between polls while no followed task runs, as it stands
// now: Options.Interval, or what Options.IdleInterval says for the requests of the last
// committed poll.
func (p *Poller) IdleInterval() time.Duration { return p.idleInterval() }

func (p *Poller) idleInterval() time.Duration {
	if p.idle == nil {
		return p.interval
	}
	return p.idle(p.RequestsPerPoll())
}
