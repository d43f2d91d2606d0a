package dcssim

import (
	"fmt"
	"hash/fnv"
	"iter"
	"slices"
	"time"
)

// The listing orders of Options.Order. The vendor's page does not say which one the live API
// uses; a client must be correct with each.
const (
	OrderNewestFirst = "newest_first" // newest created_at first: the documented example's
	OrderOldestFirst = "oldest_first"
	// OrderUnsorted is an order unrelated to time but stable between requests, as a database
	// returns rows by their key: here by a hash of the id.
	OrderUnsorted = "unsorted"
)

// variant is what Options says about the API's undocumented behaviour, checked once by New.
type variant struct {
	listing         string
	countIsPageSize bool
	ignoreWindow    bool
	onUpdated       bool   // the window filters updated_at
	timeFormat      string // "" is TimeLayout
	rateLimit       int
}

func newVariant(o Options) variant {
	v := variant{
		listing: o.Order, countIsPageSize: o.CountIsPageSize, ignoreWindow: o.IgnoreWindow,
		timeFormat: o.TimeFormat, rateLimit: o.RateLimit,
	}
	switch o.Order {
	case "":
		v.listing = OrderNewestFirst
	case OrderNewestFirst, OrderOldestFirst, OrderUnsorted:
	default:
		panic(fmt.Sprintf("dcssim: Options.Order %q: must be %s, %s or %s", o.Order, OrderNewestFirst, OrderOldestFirst, OrderUnsorted))
	}
	switch o.WindowOn {
	case "", "created_at":
	case "updated_at":
		v.onUpdated = true
	default:
		panic(fmt.Sprintf("dcssim: Options.WindowOn %q: must be created_at or updated_at", o.WindowOn))
	}
	if v.timeFormat == TimeLayout {
		v.timeFormat = ""
	}
	return v
}

// order yields the project's tasks in the listing order. s.mu must be held while iterating.
func (v variant) order(p *project) iter.Seq[Task] {
	return func(yield func(Task) bool) {
		ts := p.ordered()
		switch v.listing {
		case OrderOldestFirst:
			for i := len(ts) - 1; i >= 0; i-- {
				if !yield(ts[i]) {
					return
				}
			}
			return
		case OrderUnsorted:
			ts = p.hashOrdered()
		}
		for _, t := range ts {
			if !yield(t) {
				return
			}
		}
	}
}

// hashOrdered returns the tasks in OrderUnsorted, sorting only after a change. s.mu must be
// held; the slice is the cache itself.
func (p *project) hashOrdered() []Task {
	if p.unsorted == nil {
		p.unsorted = slices.Clone(p.ordered())
		slices.SortFunc(p.unsorted, func(a, b Task) int {
			if c := compareUint(idHash(a.ID), idHash(b.ID)); c != 0 {
				return c
			}
			return newer(a, b)
		})
	}
	return p.unsorted
}

func idHash(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}

func compareUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// inWindow reports whether t is inside the query's window. With WindowOn "updated_at", a task
// still running (no updated_at yet) counts as updated now: inside any window without an end.
func (v variant) inWindow(t Task, q listQuery) bool {
	at := t.CreatedAt
	if v.onUpdated {
		if t.UpdatedAt.IsZero() {
			return q.start.IsZero() || q.end.IsZero()
		}
		at = t.UpdatedAt
	}
	return (q.start.IsZero() || !at.Before(q.start)) && (q.end.IsZero() || !at.After(q.end))
}

// limiter counts the requests of the current second for Options.RateLimit.
type limiter struct {
	second time.Time
	n      int
}

// throttled reports whether this request is one too many for its second of Now.
func (s *Sim) throttled() bool {
	if s.v.rateLimit <= 0 {
		return false
	}
	sec := s.now().Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !sec.Equal(s.limiter.second) {
		s.limiter = limiter{second: sec}
	}
	s.limiter.n++
	return s.limiter.n > s.v.rateLimit
}
