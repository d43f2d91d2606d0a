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
	keptMu       sync.Mutex
	kept         []*dcs.Page // the last committed poll's pages, for the next (keep.go)
	counted      struct {    // the running tasks of the last state recorded, under mu
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
