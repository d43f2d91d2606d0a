// Package poller follows one project's task center: it reads every page of the current
// window, diffs it against the committed state, and commits the result with its events.
package poller

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/dcs"
	"notifier/internal/diff"
	"notifier/internal/event"
	"notifier/internal/metrics"
	"notifier/internal/retry"
)

// Ledger is where poll results are committed; state.Ledger is the real one.
type Ledger interface {
	Project(id string) *diff.ProjectState
	Commit(ctx context.Context, projectID string, next *diff.ProjectState, evs []event.Event) error
}

// Options are one project's polling policy.
type Options struct {
	ProjectID      string
	Region         string
	PageSize       int
	Interval       time.Duration // between polls while nothing runs
	ActiveInterval time.Duration // between polls while a followed task runs
	Lookback       time.Duration
	Margin         time.Duration
	MaxBackoff     time.Duration
	// MaxFollow is how long after its creation a task still running is followed
	// (poll.max_follow); then it is dropped with a warning. 0 means DefaultMaxFollow.
	MaxFollow time.Duration
	Terminal  map[string]bool
	// FastInterval, when set, is how often to poll around the expected end of a running
	// task, learned per task name from the durations (created_at to updated_at) of
	// finished tasks in the listings. 0 disables it; it is never less than 250ms.
	FastInterval time.Duration
	Notify       bool             // announce what the first poll finds
	Now          func() time.Time // default time.Now
}

// DefaultMaxFollow is Options.MaxFollow when it is 0, as poll.max_follow's default.
const DefaultMaxFollow = 7 * 24 * time.Hour

// Poller polls one project.
type Poller struct {
	O      Options
	Lister dcs.Lister
	Ledger Ledger
	Log    zerolog.Logger
	M      *metrics.Metrics

	lastOK       atomic.Int64 // Unix ns of the last committed poll
	mu           sync.Mutex
	seenStatuses map[string]bool
	warnedWindow bool
	learn        learner
}

// LastSuccess returns when the last poll succeeded and was committed (zero: never).
func (p *Poller) LastSuccess() time.Time {
	if ns := p.lastOK.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// knownRunning are the non-terminal statuses the API is known to use; any other value is
// logged the first time it is seen (and treated as still running unless configured terminal).
var knownRunning = map[string]bool{"RUNNING": true, "EXECUTING": true, "CREATED": true, "WAITING": true, "INIT": true}

func (p *Poller) now() time.Time {
	if p.O.Now != nil {
		return p.O.Now()
	}
	return time.Now()
}

func (p *Poller) diffOptions(now time.Time) diff.Options {
	maxFollow := p.O.MaxFollow
	if maxFollow == 0 {
		maxFollow = DefaultMaxFollow
	}
	return diff.Options{
		ProjectID: p.O.ProjectID, Region: p.O.Region, Now: now,
		Lookback: p.O.Lookback, Margin: p.O.Margin, Terminal: p.O.Terminal, Notify: p.O.Notify,
		MaxFollow: maxFollow,
	}
}

// polled is one poll's result with what it was computed from.
type polled struct {
	res   diff.Result
	prev  *diff.ProjectState
	tasks []dcs.Task
	o     diff.Options
}

// Poll reads the project's current window and diffs it against the committed state,
// without committing (and without learning task durations, which only a commit makes
// known). A failed poll returns an error and no result.
func (p *Poller) Poll(ctx context.Context) (diff.Result, error) {
	r, err := p.poll(ctx)
	return r.res, err
}

func (p *Poller) poll(ctx context.Context) (polled, error) {
	began := time.Now()
	now := p.now()
	prev := p.Ledger.Project(p.O.ProjectID)
	o := p.diffOptions(now)
	start := diff.WindowStart(prev, o)
	l, err := p.fetch(ctx, start)
	p.M.PollDuration.WithLabelValues(p.O.ProjectID).Observe(time.Since(began).Seconds())
	if err != nil {
		return polled{}, err
	}
	p.inspect(l)
	return polled{res: diff.Diff(prev, l.tasks, o), prev: prev, tasks: l.tasks, o: o}, nil
}

// Cycle polls and commits. Nothing is committed, and no event leaves, when either fails.
// Task durations are learned from a poll only once it is committed: a failed commit leaves
// the state as it was, so the next poll sees the same finished tasks as new again.
func (p *Poller) Cycle(ctx context.Context) (diff.Result, error) {
	r, err := p.poll(ctx)
	res := r.res
	if err != nil {
		p.M.Polls.WithLabelValues(p.O.ProjectID, "error").Inc()
		return res, err
	}
	if res.Changed || len(res.Events) > 0 {
		if err := p.Ledger.Commit(ctx, p.O.ProjectID, res.Next, res.Events); err != nil {
			p.M.Polls.WithLabelValues(p.O.ProjectID, "error").Inc()
			p.M.StateSaveErrors.Inc()
			return diff.Result{}, fmt.Errorf("committing poll result: %w", err)
		}
	}
	if p.O.FastInterval > 0 {
		p.learn.observe(r.prev, r.res.Next, r.tasks, &r.o)
	}
	p.M.Polls.WithLabelValues(p.O.ProjectID, "ok").Inc()
	now := time.Now()
	p.lastOK.Store(now.UnixNano())
	p.M.LastSuccess.WithLabelValues(p.O.ProjectID).Set(float64(now.Unix()))
	p.record(res)
	return res, nil
}

func (p *Poller) record(res diff.Result) {
	for i := range res.Events {
		e := &res.Events[i]
		p.M.Events.WithLabelValues(e.Type, string(e.Data.Severity)).Inc()
		p.Log.Info().Str("event_id", e.ID).Str("type", e.Type).Str("task_id", e.Subject).
			Str("task_name", e.Data.TaskName).Str("status", e.Data.Status).
			Str("previous_status", e.Data.PreviousStatus).Str("severity", string(e.Data.Severity)).Msg("task transition")
	}
	active := 0
	if res.Next != nil {
		for _, t := range res.Next.Tasks {
			if !p.O.Terminal[t.Status] {
				active++
			}
		}
		p.M.TasksFollowed.WithLabelValues(p.O.ProjectID).Set(float64(len(res.Next.Tasks)))
	}
	p.M.TasksActive.WithLabelValues(p.O.ProjectID).Set(float64(active))
	if res.Vanished > 0 {
		p.Log.Warn().Int("tasks", res.Vanished).Msg("running tasks unlisted for a whole lookback are no longer followed")
	}
	if len(res.Abandoned) > 0 {
		p.Log.Warn().Strs("task_ids", res.Abandoned).Dur("max_follow", p.diffOptions(time.Time{}).MaxFollow).
			Msg("tasks still running longer than poll.max_follow after their creation are no longer followed; a later change of theirs is not announced")
	}
}

// inspect logs what is odd about a listing: unusable entries, statuses never seen
// before, and a time window the server ignored.
func (p *Poller) inspect(l *listing) {
	if l.skipped > 0 {
		p.M.SkippedTasks.WithLabelValues(p.O.ProjectID).Add(float64(l.skipped))
		p.Log.Warn().Int("entries", l.skipped).Msg("skipped task entries without an id")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range l.tasks {
		s := l.tasks[i].Status
		if knownRunning[s] || p.O.Terminal[s] || p.seenStatuses[s] {
			continue
		}
		if p.seenStatuses == nil {
			p.seenStatuses = map[string]bool{}
		}
		p.seenStatuses[s] = true
		p.Log.Info().Str("status", s).Str("task_name", l.tasks[i].Name).
			Msg("status value seen for the first time; treated as not finished")
	}
	if l.beforeStart > 0 {
		p.M.WindowIgnored.WithLabelValues(p.O.ProjectID).Inc()
		if !p.warnedWindow {
			p.warnedWindow = true
			p.Log.Warn().Time("window_start", l.start).Int("older_tasks", l.beforeStart).Bool("stopped_early", l.stoppedOld).
				Msg("the API returned tasks created before the requested start time: it seems to ignore the time parameter; " +
					"try dcs.start_time_param = \"begin_time\" (polls stay bounded: paging stops at the first page older than the window)")
		}
	}
}

// Run polls until ctx is done: at once, then every ActiveInterval while a followed task
// runs and every Interval otherwise; after a failure it backs off (exponential with
// jitter, capped at MaxBackoff, at least what a 429's Retry-After asked for).
func (p *Poller) Run(ctx context.Context) {
	b := retry.New(time.Second, p.O.MaxBackoff)
	for {
		res, err := p.Cycle(ctx)
		if ctx.Err() != nil {
			return
		}
		var wait time.Duration
		switch {
		case err == nil:
			b.Reset()
			wait = p.O.Interval
			if diff.Active(res.Next, p.diffOptions(p.now())) {
				wait = p.O.ActiveInterval
			}
			if p.O.FastInterval > 0 {
				if w, ok := p.learn.wait(p.now(), wait, max(p.O.FastInterval, minFastInterval)); ok {
					wait = w
				}
			}
		case dcs.IsAuth(err):
			wait = p.O.MaxBackoff
			p.Log.Error().Err(err).Dur("retry_in", wait).
				Msg("the DCS API refused the credentials: check the AK/SK (and security token) and the project id")
		default:
			asked, _ := dcs.RetryAfter(err)
			if asked == 0 && dcs.IsThrottled(err) {
				asked = 3 * time.Second // the vendor advises 2-5 s when the gateway sends no Retry-After
			}
			wait = retry.Next(b, asked, p.O.MaxBackoff)
			p.M.Retries.WithLabelValues("poller").Inc()
			p.Log.Warn().Err(err).Dur("retry_in", wait).Msg("poll failed; no events produced, state unchanged")
		}
		if retry.Sleep(ctx, wait) != nil {
			return
		}
	}
}
