package probe

import (
	"context"
	"fmt"

	"notifier/internal/dcs"
)

// listing is what the probe read without a window: the reference the other checks compare to.
type listing struct {
	tasks    []dcs.Task // distinct tasks, in the order listed
	firstLen int        // tasks on the first page
	count    int        // the first page's task_count
}

// listing reads the task list without a window, page by page at the configured page size,
// up to MaxPages pages: reachability, the credential, paging, a page cap and the order.
func (p *prober) listing(ctx context.Context) (*listing, error) {
	limit := p.o.Config.DCS.PageSize
	pg, err := p.connect(ctx, dcs.Query{Limit: limit})
	if err != nil {
		return nil, err
	}
	l := &listing{firstLen: len(pg.Tasks), count: pg.Count}
	seen := map[string]bool{}
	add := func(ts []dcs.Task) {
		for _, t := range ts {
			if !seen[t.ID] {
				seen[t.ID] = true
				l.tasks = append(l.tasks, t)
			}
		}
	}
	add(pg.Tasks)
	offset, pages, pagesWithTasks := len(pg.Tasks)+pg.Skipped, 1, 1
	for len(pg.Tasks)+pg.Skipped > 0 && pages < p.o.MaxPages {
		next, err := p.list(ctx, dcs.Query{Offset: offset, Limit: limit})
		if err != nil {
			p.problem(fmt.Sprintf("page at offset %d: %v", offset, err))
			return nil, errStop
		}
		pages++
		if len(next.Tasks) > 0 && sameIDs(pg.Tasks, next.Tasks) {
			p.r.OffsetHonoured = No
			break
		}
		if len(next.Tasks)+next.Skipped == 0 {
			p.r.Complete = true
			break
		}
		pagesWithTasks++
		add(next.Tasks)
		offset += len(next.Tasks) + next.Skipped
		pg = next
	}
	if len(pg.Tasks)+pg.Skipped == 0 {
		p.r.Complete = true
	}
	p.r.Tasks = len(l.tasks)
	if l.firstLen < limit && pagesWithTasks > 1 && p.r.OffsetHonoured != No {
		p.r.PageCap = l.firstLen
	}
	p.r.Order = order(l.tasks)
	switch p.r.Order {
	case OrderOldestFirst, OrderUnsorted:
		p.warn(fmt.Sprintf("the listing is %s, not newest first: when the window is ignored, a poll must read "+
			"every page instead of stopping at the first page older than the window", p.r.Order))
	case Unknown:
		p.warn("too few tasks with distinct created_at to tell the listing's order")
	}
	if !p.r.Complete {
		p.warn(fmt.Sprintf("read the first %d pages only (%d tasks): the verdicts below rest on them", pages, len(l.tasks)))
	}
	return l, nil
}

// order classifies the tasks' created_at in listing order.
func order(ts []dcs.Task) string {
	var up, down bool
	var prev dcs.Task
	n := 0
	for _, t := range ts {
		if t.Created.IsZero() {
			continue
		}
		if n > 0 {
			up = up || t.Created.After(prev.Created)
			down = down || t.Created.Before(prev.Created)
		}
		prev, n = t, n+1
	}
	switch {
	case up && down:
		return OrderUnsorted
	case down:
		return OrderNewestFirst
	case up:
		return OrderOldestFirst
	}
	return Unknown
}

// limitOffset asks for two tasks from offset 0 and from offset 1 and compares them with the
// listing: whether limit and offset are honoured, and what task_count counts.
func (p *prober) limitOffset(ctx context.Context, l *listing) error {
	limit := p.o.Config.DCS.PageSize
	if len(l.tasks) < 3 {
		p.warn(fmt.Sprintf("only %d task(s): limit, offset and task_count cannot be checked", len(l.tasks)))
		if l.count >= 0 && l.count > l.firstLen {
			p.r.TaskCount = CountTotal
		}
		p.checkPaging(limit)
		return nil
	}
	a, err := p.list(ctx, dcs.Query{Limit: 2})
	if err != nil {
		p.problem(fmt.Sprintf("offset 0, limit 2: %v", err))
		return errStop
	}
	b, err := p.list(ctx, dcs.Query{Offset: 1, Limit: 2})
	if err != nil {
		p.problem(fmt.Sprintf("offset 1, limit 2: %v", err))
		return errStop
	}
	switch {
	case len(a.Tasks) == 2:
		p.r.LimitHonoured = Yes
	case len(a.Tasks) > 2:
		p.r.LimitHonoured = No
		p.warn(fmt.Sprintf("limit is ignored: limit=2 returned %d tasks", len(a.Tasks)))
	}
	if p.r.OffsetHonoured == Unknown && len(a.Tasks) >= 2 && len(b.Tasks) >= 1 {
		switch b.Tasks[0].ID {
		case a.Tasks[1].ID:
			p.r.OffsetHonoured = Yes
		case a.Tasks[0].ID:
			p.r.OffsetHonoured = No
		default:
			p.warn("offset 1 did not start at the second task of offset 0: the order changes between requests")
		}
	}
	switch {
	case a.Count < 0:
		p.r.TaskCount = CountAbsent
	case a.Count > len(a.Tasks):
		p.r.TaskCount = CountTotal
	case a.Count == len(a.Tasks) && len(l.tasks) > len(a.Tasks):
		p.r.TaskCount = CountPageSize
	}
	p.checkPaging(limit)
	return nil
}

// checkPaging turns what is known of paging into problems and warnings.
func (p *prober) checkPaging(limit int) {
	if p.r.OffsetHonoured == No {
		p.problem("offset is ignored: every page repeats the first, so the notifier cannot read past the first page")
	}
	if p.r.PageCap > 0 && p.r.TaskCount != CountTotal {
		p.problem(fmt.Sprintf("pages stop at %d tasks whatever limit asks, and task_count does not count them all: "+
			"with page_size = %d the notifier takes the first short page for the last one; set dcs.page_size = %d",
			p.r.PageCap, limit, p.r.PageCap))
	}
}

func sameIDs(a, b []dcs.Task) bool {
	if len(a) != len(b) {
		return false
	}
	in := make(map[string]bool, len(a))
	for _, t := range a {
		in[t.ID] = true
	}
	for _, t := range b {
		if !in[t.ID] {
			return false
		}
	}
	return true
}
