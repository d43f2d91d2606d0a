package poller

import (
	"context"
	"fmt"
	"time"

	"notifier/internal/dcs"
	"notifier/internal/diff"
	"notifier/internal/logx"
)

// Cycle polls and commits. Nothing is committed, and no event leaves, when either fails
// (a failed poll may commit the project's blind spot instead). The learner reads task
// durations from the committed state only. The diff and its commit hold the watchdog's
// lock: a gap it commits meanwhile is in the state diffed, and ended by this poll.
//
// A poll whose listing is the last settled one's bytes is not decoded nor diffed
// (settle.go): its result is the last one's, unless the state changed while the page was
// read (a blind spot committed meanwhile, a receiver's memory): then the window is read
// again, in full.
func (p *Poller) Cycle(ctx context.Context) (diff.Result, error) {
	p.watch.polling(p.now())
	rctx := dcs.WithProgress(ctx, &p.watch.progress)
	var w *window
	var prev *diff.ProjectState
	for skip := true; ; skip = false {
		var err error
		if w, err = p.readWindow(rctx, skip); err != nil {
			return diff.Result{}, p.readFailed(ctx, err)
		}
		p.watch.mu.Lock()
		if prev = p.ledger.Project(p.policy.ProjectID); w.l.same == nil || prev == w.prev {
			break
		}
		p.watch.mu.Unlock()
		w.l.release()
	}
	defer w.l.release() // the tasks' Raw share the pages' bodies: events keep their own copy
	defer p.watch.mu.Unlock()
	w.o.Index = &p.index // where the last committed poll found its tasks (keep.go)
	r := p.diffWindow(w, prev)
	if w.expect != nil {
		p.verifySkip(w, &r, prev)
	}
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
	if w.l.same == nil { // else the pages kept, and what is settled, stay as they are
		p.keepListing(w.l, res.Next, r.o)
		p.settle(w, &r)
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
	p.log.Debug().Int("requests", r.requests).Int("tasks", r.tasks).Int("events", len(res.Events)).Bool("unchanged_page", w.l.same != nil).
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

// readFailed counts and reports a poll whose window could not be read, and returns err.
func (p *Poller) readFailed(ctx context.Context, err error) error {
	p.m.Polls.WithLabelValues(p.policy.ProjectID, "error").Inc()
	if ctx.Err() == nil {
		reason := reasonOf(err)
		p.ended(time.Now(), reason)
		p.watch.failed()
		p.judge(ctx, reason)
	}
	return err
}

// record logs and counts what a committed poll found: its events, the tasks followed and
// active, and the tasks no longer followed.
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
