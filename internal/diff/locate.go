package diff

import (
	"sync"

	"notifier/internal/dcs"
)

// located is where each listed task is in the previous state, found once per diff.
type located struct {
	listed []dcs.Task // the listing with each id once (dedupe)
	at     []int32    // by listed task: its record's index in the previous tasks, -1 if unknown
	seen   []uint64   // by record of the previous tasks: a bit set when it is listed
}

// scratch holds the slices of located between diffs: a steady-state poll of a fleet would
// otherwise allocate them, and the map of dedupe, at every poll.
var scratch sync.Pool // *located

// locate finds each listed task in old. The listing is usually clean (no empty and no
// repeated id); then it is used as it is, and telling that costs no map: a repeated id
// of a known task finds a record already seen, and only unknown ids (new tasks, few but
// at a baseline) go through one. Otherwise the listing goes through dedupe.
func locate(old *Tasks, tasks []dcs.Task, ix *Index) *located {
	l, _ := scratch.Get().(*located)
	if l == nil {
		l = &located{}
	}
	if ix.matches(old, tasks) {
		l.listed, l.at = tasks, append(l.at[:0], ix.at...)
		l.clearSeen(old.Len())
		for _, at := range l.at {
			if at >= 0 {
				l.seen[at/64] |= 1 << (at % 64)
			}
		}
		return l
	}
	if l.find(old, tasks) {
		ix.set(old, tasks, l.at)
		return l
	}
	ix.set(nil, nil, nil)
	l.find(old, dedupe(tasks)) // no repeated id now: it cannot fail
	return l
}

// Index remembers where a diff found each listed task in the previous state's tasks, for
// the next diff of the same listing against the same tasks: a poller whose pages were the
// same bytes (dcs.Query.Reuse), so the same tasks, and whose state did not change. Finding
// a thousand ids again is then a thousand comparisons of the same strings. The zero value
// is empty; Options.Index passes one to Diff, which reads and updates it. It holds the
// tasks it was made against, so their address cannot be reused by other tasks.
type Index struct {
	tasks *Tasks
	ids   []string
	at    []int32
}

// matches reports whether the index is of this listing against these tasks.
func (ix *Index) matches(old *Tasks, tasks []dcs.Task) bool {
	if ix == nil || old == nil || ix.tasks != old || len(ix.ids) != len(tasks) {
		return false
	}
	for i := range tasks {
		if ix.ids[i] != tasks[i].ID {
			return false
		}
	}
	return true
}

// set makes the index that of this listing against old (nil: empty).
func (ix *Index) set(old *Tasks, tasks []dcs.Task, at []int32) {
	if ix == nil {
		return
	}
	if old == nil {
		*ix = Index{}
		return
	}
	ix.tasks, ix.ids, ix.at = old, ix.ids[:0], append(ix.at[:0], at...)
	for i := range tasks {
		ix.ids = append(ix.ids, tasks[i].ID)
	}
}

// find fills l for a listing; false when an id is empty or repeated.
func (l *located) find(old *Tasks, tasks []dcs.Task) bool {
	l.listed = tasks
	l.at = l.at[:0]
	l.clearSeen(old.Len())
	var unknown map[string]struct{}
	for i := range tasks {
		id := tasks[i].ID
		if id == "" {
			return false
		}
		at, known := old.find(id)
		if !known {
			if unknown == nil {
				unknown = make(map[string]struct{})
			}
			if _, dup := unknown[id]; dup {
				return false
			}
			unknown[id] = struct{}{}
			l.at = append(l.at, -1)
			continue
		}
		w, bit := at/64, uint64(1)<<(at%64)
		if l.seen[w]&bit != 0 {
			return false
		}
		l.seen[w] |= bit
		l.at = append(l.at, int32(at))
	}
	return true
}

// clearSeen makes seen n bits, none set.
func (l *located) clearSeen(n int) {
	words := (n + 63) / 64
	if cap(l.seen) < words {
		l.seen = make([]uint64, words)
	} else {
		l.seen = l.seen[:words]
		clear(l.seen)
	}
}

// listedAt reports whether the i-th record of the previous tasks was listed.
func (l *located) listedAt(i int) bool { return l.seen[i/64]&(1<<(i%64)) != 0 }

// release hands the slices back for the next diff.
func (l *located) release() {
	l.listed = nil
	scratch.Put(l)
}
