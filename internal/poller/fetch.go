package poller

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"notifier/internal/dcs"
)

// maxPages bounds one poll (10 million tasks at the largest page size): a server that
// never returns a short page cannot keep a poll running forever.
const maxPages = 10000

// listing is everything one poll read.
type listing struct {
	start       time.Time // the window start as sent: whole seconds
	tasks       []dcs.Task
	pages       int
	skipped     int  // entries without an id or not objects
	beforeStart int  // tasks created before the window start sent: the server ignored it
	stoppedOld  bool // paging stopped early, at a page reaching past the window
}

// fetch reads pages until the last one: a short page, unless its task_count says more
// tasks follow (a gateway may serve fewer than the limit asked for). Tasks inserted at the
// head while paging shift the list so that a task can show up twice (the diff counts it
// once), never be skipped. A page that fails fails the whole poll.
//
// The window starts at start rounded down to the second: the API takes whole seconds
// (dcs.TimeLayout), and a task is older than the window only if it is older than that.
func (p *Poller) fetch(ctx context.Context, start time.Time) (*listing, error) {
	start = start.Truncate(time.Second)
	l := &listing{start: start}
	offset := 0
	var prevIDs map[string]struct{}
	for {
		if l.pages == maxPages {
			return nil, fmt.Errorf("more than %d pages of %d tasks: giving up on this poll", maxPages, p.pageSize)
		}
		pg, err := p.lister.List(ctx, dcs.Query{Offset: offset, Limit: p.pageSize, Start: start})
		p.countRequest(err)
		if err != nil {
			return nil, fmt.Errorf("page at offset %d: %w", offset, err)
		}
		l.pages++
		p.m.Pages.WithLabelValues(p.policy.ProjectID).Inc()
		n := len(pg.Tasks) + pg.Skipped
		if offset > 0 && len(pg.Tasks) > 0 && sameIDs(prevIDs, pg.Tasks) {
			return nil, fmt.Errorf("page at offset %d repeats the previous page: the server ignores offset", offset)
		}
		l.tasks = append(l.tasks, pg.Tasks...)
		l.skipped += pg.Skipped
		old := countBefore(pg.Tasks, start)
		l.beforeStart += old
		if n == 0 || n < p.pageSize && pg.Count <= offset+n {
			return l, nil // the last page (task_count is -1 when absent)
		}
		// The server ignored the window: once a page listed newest first ends with a task
		// older than the window, every later page is older still.
		if old > 0 && reachesPast(pg.Tasks, start) {
			l.stoppedOld = true
			return l, nil
		}
		offset += n
		prevIDs = ids(pg.Tasks)
	}
}

func (p *Poller) countRequest(err error) {
	code := "200"
	var ae *dcs.APIError
	switch {
	case errors.As(err, &ae):
		code = strconv.Itoa(ae.Status)
	case err != nil && errors.Is(err, dcs.ErrDecode):
		code = "200"
	case err != nil:
		code = "0"
	}
	p.m.APIRequests.WithLabelValues(p.policy.ProjectID, code).Inc()
}

func countBefore(tasks []dcs.Task, start time.Time) int {
	n := 0
	for i := range tasks {
		if !tasks[i].Created.IsZero() && tasks[i].Created.Before(start) {
			n++
		}
	}
	return n
}

// reachesPast reports whether a page is listed newest first and ends with a task created
// before start.
func reachesPast(tasks []dcs.Task, start time.Time) bool {
	if len(tasks) == 0 {
		return false
	}
	last := tasks[len(tasks)-1].Created
	return !last.IsZero() && last.Before(start) && newestFirst(tasks)
}

func newestFirst(tasks []dcs.Task) bool {
	for i := 1; i < len(tasks); i++ {
		if tasks[i].Created.After(tasks[i-1].Created) {
			return false
		}
	}
	return true
}

func ids(tasks []dcs.Task) map[string]struct{} {
	m := make(map[string]struct{}, len(tasks))
	for i := range tasks {
		m[tasks[i].ID] = struct{}{}
	}
	return m
}

func sameIDs(prev map[string]struct{}, tasks []dcs.Task) bool {
	if len(prev) != len(tasks) {
		return false
	}
	for i := range tasks {
		if _, ok := prev[tasks[i].ID]; !ok {
			return false
		}
	}
	return true
}
