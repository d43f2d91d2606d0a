package poller

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"notifier/internal/dcs"
)

// maxPages bounds one poll (10 million tasks at the largest page size): a server that
// never returns a short page cannot keep a poll running forever.
const maxPages = 10000

// listing is everything one poll read.
type listing struct {
	start       time.Time // the window start as sent: whole seconds
	param       string    // the window's query parameter sent
	tasks       []dcs.Task
	pages       int
	skipped     int  // entries without an id or not objects
	beforeStart int  // tasks created before the window start sent: the server ignored it
	stoppedOld  bool // paging stopped early, at a page reaching past the window
	// aborted: a trial listing (fetch's trial) stopped at the first page showing that the
	// window was ignored. Its tasks are not the whole window: it must not be diffed.
	aborted  bool
	trialOld int   // tasks older than the window in the trial listing abandoned for this one
	order    order // of the tasks read, by created_at
	read     []*dcs.Page
	own      *[]dcs.Task // tasks' pooled slice when there are several pages (else: the page's)
	held     []bool      // by page read: the poller keeps it (see keep.go), release leaves it
	// same: the one page was the settled listing's bytes, not decoded (settle.go); tasks
	// is empty, and the facts are same's.
	same *settled
}

// release hands the pages' bodies back (dcs.Page.Release), but those the poller keeps:
// l.tasks must not be used after.
func (l *listing) release() {
	for i, pg := range l.read {
		if !l.held[i] {
			pg.Release()
		}
	}
	if l.own != nil {
		clear(l.tasks)
		*l.own = l.tasks[:0]
		listings.Put(l.own)
	}
	l.read, l.tasks, l.own, l.held = nil, nil, nil, nil
}

// listings are the task slices of released listings of several pages (*[]dcs.Task).
var listings sync.Pool

// add appends a page's tasks. The first page's slice is the listing's; from the second
// on, the tasks are gathered in a pooled slice.
func (l *listing) add(tasks []dcs.Task) {
	if len(l.read) == 1 {
		l.tasks = tasks
		return
	}
	if l.own == nil {
		h, ok := listings.Get().(*[]dcs.Task)
		if !ok {
			h = new([]dcs.Task)
		}
		l.own = h
		l.tasks = append((*h)[:0], l.tasks...)
	}
	l.tasks = append(l.tasks, tasks...)
}

// fetch reads pages until the last one: a short page, unless its task_count says more
// tasks follow (a gateway may serve fewer than the limit asked for). Tasks inserted at the
// head while paging shift the list so that a task can show up twice (the diff counts it
// once), never be skipped. A page that fails fails the whole poll.
//
// The window starts at start rounded down to the second: the API takes whole seconds
// (dcs.TimeLayout), and a task is older than the window only if it is older than that. It
// is sent as param. With trial, the first page holding a task older than the window ends
// the listing, aborted: the caller tries the other parameter instead.
//
// When the server ignores the window, paging stops early only where the order allows it:
// once the listing is known to be newest first (order.newestFirst) and a page ends with a
// task older than the window, every later page is older still. Oldest first or unsorted,
// a task inside the window may be on any page: every page is read.
//
// same, when set, is the last settled listing, sent with param: a first page of the same
// bytes (dcs.Query.Same) is the whole listing, not decoded.
func (p *Poller) fetch(ctx context.Context, start time.Time, param string, trial bool, same *settled) (*listing, error) {
	start = start.Truncate(time.Second)
	l := &listing{start: start, param: param}
	offset := 0
	var prev []dcs.Task // the previous page's tasks
	for {
		if l.pages == maxPages {
			return nil, fmt.Errorf("more than %d pages of %d tasks: giving up on this poll", maxPages, p.pageSize)
		}
		reuse := p.keptPage(l.pages)
		q := dcs.Query{Offset: offset, Limit: p.pageSize, Start: start, Param: param, Reuse: reuse, Digest: l.pages == 0}
		if l.pages == 0 && same != nil {
			q.Same = same.sum
		}
		pg, err := p.lister.List(ctx, q)
		p.countRequest(err)
		if err != nil {
			l.release()
			return nil, fmt.Errorf("page at offset %d: %w", offset, err)
		}
		if pg.Same {
			if same == nil { // a Lister answering what was not asked: its page holds nothing
				l.release()
				return nil, fmt.Errorf("page at offset %d: answered as unchanged, which was not asked", offset)
			}
			p.m.Pages.WithLabelValues(p.policy.ProjectID).Inc()
			return same.listing(start, param), nil
		}
		l.read = append(l.read, pg)
		l.held = append(l.held, reuse != nil && pg == reuse)
		l.pages++
		p.m.Pages.WithLabelValues(p.policy.ProjectID).Inc()
		n := len(pg.Tasks) + pg.Skipped
		if offset > 0 && len(pg.Tasks) > 0 && sameIDs(prev, pg.Tasks) {
			l.release()
			return nil, fmt.Errorf("page at offset %d repeats the previous page: the server ignores offset", offset)
		}
		l.add(pg.Tasks)
		l.skipped += pg.Skipped
		l.order.add(pg.Tasks)
		old := countBefore(pg.Tasks, start)
		l.beforeStart += old
		if old > 0 && trial {
			l.aborted = true
			return l, nil
		}
		if n == 0 || n < p.pageSize && pg.Count <= offset+n {
			return l, nil // the last page (task_count is -1 when absent)
		}
		if old > 0 && l.order.newestFirst() && !p.unordered.Load() && endsBefore(pg.Tasks, start) {
			l.stoppedOld = true
			return l, nil
		}
		offset += n
		prev = pg.Tasks // valid until the listing is released
	}
}

// order is what a listing's created_at times say of its order, read in sequence across
// pages; tasks without a creation time say nothing.
type order struct {
	last  time.Time
	down  int // steps to an older task
	up    bool
	tasks int
}

// minDescents is how many steps to an older task, and none to a newer one, make a
// listing newest first: an unsorted listing starts with that many in a row only by a
// chance of 1 in 9! (a page of 1,000 gives hundreds).
const minDescents = 8

func (o *order) add(tasks []dcs.Task) {
	for i := range tasks {
		c := tasks[i].Created
		if c.IsZero() {
			continue
		}
		if o.tasks > 0 {
			switch {
			case c.Before(o.last):
				o.down++
			case c.After(o.last):
				o.up = true
			}
		}
		o.last = c
		o.tasks++
	}
}

// newestFirst reports whether the tasks read so far are known to be listed newest first.
func (o *order) newestFirst() bool { return !o.up && o.down >= minDescents }

// String names the order seen, for logs.
func (o *order) String() string {
	switch {
	case o.up && o.down > 0:
		return "unsorted"
	case o.up:
		return "oldest first"
	case o.down >= minDescents:
		return "newest first"
	default:
		return "unknown"
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

// endsBefore reports whether the last task of a page with a creation time was created
// before start.
func endsBefore(tasks []dcs.Task, start time.Time) bool {
	for i := len(tasks) - 1; i >= 0; i-- {
		if c := tasks[i].Created; !c.IsZero() {
			return c.Before(start)
		}
	}
	return false
}

func ids(tasks []dcs.Task) map[string]struct{} {
	m := make(map[string]struct{}, len(tasks))
	for i := range tasks {
		m[tasks[i].ID] = struct{}{}
	}
	return m
}

// sameIDs reports whether a page holds the same ids as the previous one. Most pages do
// not even hold the first task of the next: that is checked first, without a map.
func sameIDs(prevTasks, tasks []dcs.Task) bool {
	first := -1
	for i := range prevTasks {
		if prevTasks[i].ID == tasks[0].ID {
			first = i
			break
		}
	}
	if first < 0 {
		return false
	}
	prev := ids(prevTasks)
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
