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
func locate(old *Tasks, tasks []dcs.Task) *located {
	l, _ := scratch.Get().(*located)
	if l == nil {
		l = &located{}
	}
	if l.find(old, tasks) {
		return l
	}
	l.find(old, dedupe(tasks)) // no repeated id now: it cannot fail
	return l
}

// find fills l for a listing; false when an id is empty or repeated.
func (l *located) find(old *Tasks, tasks []dcs.Task) bool {
	l.listed = tasks
	l.at = l.at[:0]
	words := (old.Len() + 63) / 64
	if cap(l.seen) < words {
		l.seen = make([]uint64, words)
	} else {
		l.seen = l.seen[:words]
		clear(l.seen)
	}
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

// listedAt reports whether the i-th record of the previous tasks was listed.
func (l *located) listedAt(i int) bool { return l.seen[i/64]&(1<<(i%64)) != 0 }

// release hands the slices back for the next diff.
func (l *located) release() {
	l.listed = nil
	scratch.Put(l)
}
