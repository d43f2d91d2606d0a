package poller

import "notifier/internal/diff"

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
