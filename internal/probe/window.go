package probe

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"notifier/internal/dcs"
)

// windowParams are the two names the window's start is sent under: the documented one and
// the one the vendor's examples send.
var windowParams = []string{"start_time", "begin_time"}

// window sends the same window start under each parameter name and compares what came back
// with the listing: tasks that ended before the start must not come back, tasks created after
// it must, and a task created before it that ended after it tells created_at from updated_at.
func (p *prober) window(ctx context.Context, l *listing) error {
	start, ok := pivot(l.tasks)
	if !ok {
		p.warn("no two tasks far enough apart in time: which window parameter filters cannot be checked")
		return nil
	}
	w := &Window{Start: start, Verdicts: map[string]string{}, Details: map[string]string{}, FiltersOn: Unknown}
	p.r.Window = w
	for _, name := range windowParams {
		verdict, on, detail, err := p.tryWindow(ctx, l, start, name)
		if err != nil {
			return err
		}
		w.Verdicts[name] = verdict
		if detail != "" {
			w.Details[name] = detail
		}
		if verdict == WindowFilters && w.Use == "" {
			w.Use, w.FiltersOn = name, on
		}
	}
	if w.Use == "" {
		p.warn("neither start_time nor begin_time filters the listing: every poll reads the whole history " +
			"(correct, as tasks are told apart by id, but the cost grows with the history)")
	}
	return nil
}

// pivot picks a window start, in whole seconds as the API takes it, with at least one task
// that ended before it; it prefers one that a task created before it ended after (to tell
// created_at from updated_at) and that a task was created after, near the newest tasks so
// that the windowed listing is short.
func pivot(ts []dcs.Task) (time.Time, bool) {
	byCreated := slices.DeleteFunc(slices.Clone(ts), func(t dcs.Task) bool { return t.Created.IsZero() })
	slices.SortFunc(byCreated, func(a, b dcs.Task) int { return b.Created.Compare(a.Created) })
	var fallback time.Time
	for i := range byCreated {
		start := byCreated[i].Created.Truncate(time.Second).Add(time.Second)
		ok, straddles, after := classifyAround(byCreated, start)
		if !ok {
			continue
		}
		if straddles && after {
			return start, true
		}
		if fallback.IsZero() || straddles {
			fallback = start
		}
	}
	return fallback, !fallback.IsZero()
}

// classifyAround reports whether some task ended before start, whether one straddles it
// (created before, ended a second or more after) and whether one was created at or after it.
func classifyAround(ts []dcs.Task, start time.Time) (before, straddles, after bool) {
	for _, t := range ts {
		switch {
		case !t.Created.Before(start):
			after = true
		case mustExclude(t, start):
			before = true
		case !t.Updated.IsZero() && !t.Updated.Before(start.Add(time.Second)):
			straddles = true
		}
	}
	return before, straddles, after
}

// mustExclude reports whether a window from start leaves t out whichever time it filters on.
func mustExclude(t dcs.Task, start time.Time) bool {
	return !t.Created.IsZero() && t.Created.Before(start) && !t.Updated.IsZero() && t.Updated.Before(start)
}

// tryWindow lists with the window under name and judges the answer.
func (p *prober) tryWindow(ctx context.Context, l *listing, start time.Time, name string) (verdict, on, detail string, err error) {
	got, complete, err := p.listAll(ctx, dcs.Query{Start: start, Param: name})
	var ae *dcs.APIError
	if errors.As(err, &ae) {
		return WindowRefused, Unknown, ae.Error(), nil
	}
	if err != nil {
		return "", "", "", err
	}
	returned := make(map[string]bool, len(got))
	for _, t := range got {
		returned[t.ID] = true
	}
	listed := make(map[string]bool, len(l.tasks))
	for _, t := range l.tasks {
		listed[t.ID] = true
	}
	var excluded, leaked, missing, straddling, straddleBack int
	for _, t := range l.tasks {
		switch {
		case mustExclude(t, start):
			excluded++
			if returned[t.ID] {
				leaked++
			}
		case !t.Created.IsZero() && !t.Created.Before(start):
			if !returned[t.ID] {
				missing++
			}
		case !t.Created.IsZero() && !t.Updated.IsZero() && !t.Updated.Before(start.Add(time.Second)):
			straddling++
			if returned[t.ID] {
				straddleBack++
			}
		}
	}
	for _, t := range got { // tasks the listing did not reach count as well
		if !listed[t.ID] && mustExclude(t, start) {
			leaked, excluded = leaked+1, excluded+1
		}
	}
	on = Unknown
	switch {
	case straddling > 0 && straddleBack == straddling:
		on = WindowOnUpdate
	case straddling > 0 && straddleBack == 0:
		on = WindowOnCreate
	}
	switch {
	case leaked > 0 && (leaked == excluded || !complete || !p.r.Complete):
		return WindowIgnored, Unknown, fmt.Sprintf("%d of %d tasks that ended before %s came back", leaked, excluded, start.Format(time.RFC3339)), nil
	case leaked > 0:
		return WindowShifted, on, fmt.Sprintf("%d of %d tasks that ended before %s came back: the server may read the time in another zone", leaked, excluded, start.Format(time.RFC3339)), nil
	case missing > 0:
		p.warn(fmt.Sprintf("%s: %d task(s) created after %s did not come back", name, missing, start.Format(time.RFC3339)))
		return WindowDrops, on, fmt.Sprintf("%d task(s) created after the start did not come back", missing), nil
	}
	return WindowFilters, on, "", nil
}

// listAll pages through a query at the configured page size, up to MaxPages pages; complete
// is false when it stopped at the bound.
func (p *prober) listAll(ctx context.Context, q dcs.Query) (tasks []dcs.Task, complete bool, err error) {
	q.Limit = p.o.Config.DCS.PageSize
	var prev []dcs.Task
	for range p.o.MaxPages {
		pg, err := p.list(ctx, q)
		if err != nil {
			return nil, false, err
		}
		n := len(pg.Tasks) + pg.Skipped
		if n == 0 || q.Offset > 0 && sameIDs(prev, pg.Tasks) {
			return tasks, true, nil
		}
		tasks = append(tasks, pg.Tasks...)
		q.Offset += n
		prev = pg.Tasks
	}
	return tasks, false, nil
}
