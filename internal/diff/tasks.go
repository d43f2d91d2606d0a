package diff

import (
	"encoding/binary"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"
)

// Tasks is what a project's state remembers of its followed tasks, by task id. It reads
// like a map[string]TaskState and its JSON is exactly that map's, but it is built once and
// never modified: a state is replaced by the next one, never changed in place.
//
// A task is one 40-byte record without pointers (the garbage collector does not scan
// them), in a slice sorted by id: an id in the API's form (a lowercase UUID, with or
// without its dashes) is kept as its 16 bytes; any other id is kept as it is, in a side
// list. Statuses and names are indexes into one process-wide table of the strings seen,
// which is bounded: past its size, or for a long string, the state keeps the string itself
// (and the record refers to it), so a hostile API cannot make the table grow without end.
//
// A nil *Tasks is an empty set that encodes as JSON null, as a nil map did.
type Tasks struct {
	recs []rec    // sorted by id, as strings sort
	ids  []string // the ids of the records of kindOther
	strs []string // the statuses and names of their own of records of kindOther
}

// rec is one task. Its id is the 16 bytes of a UUID or of 32 hex digits, or (kindOther)
// three indexes: of the id in Tasks.ids, and of the status and of the name in Tasks.strs
// when their symbol is symOwn. A record is of kindOther when its id is not compact or
// when its status or name is not in the shared table.
type rec struct {
	id      [16]byte
	created int64
	missing int64
	seq     uint32
	status  uint16 // the status's symbol (12 bits), the id's kind (2 bits), stuck (1 bit)
	name    uint16 // the name's symbol (12 bits)
}

// The forms of a task id.
const (
	kindUUID  = iota // 8-4-4-4-12 lowercase hex digits: the API's ids
	kindHex          // 32 lowercase hex digits
	kindOther        // anything else (or a task with strings of its own): the id's string
)

// A symbol: 0 is "", symOwn a string of the record's own, else the shared table's entry
// symbol-1.
const (
	symBits  = 12
	symMask  = 1<<symBits - 1
	symOwn   = symMask
	kindMask = 3 << symBits
	stuckBit = 1 << (symBits + 2)
)

func (r *rec) kind() int      { return int(r.status&kindMask) >> symBits }
func (r *rec) stuck() bool    { return r.status&stuckBit != 0 }
func (r *rec) statusSym() int { return int(r.status & symMask) }
func (r *rec) nameSym() int   { return int(r.name & symMask) }
func (r *rec) setKind(k int)  { r.status = r.status&^kindMask | uint16(k)<<symBits }

// own returns the indexes a record of kindOther keeps in its id: 0 the id's, 1 the
// status's, 2 the name's.
func (r *rec) own(i int) uint32    { return binary.LittleEndian.Uint32(r.id[4*i:]) }
func (r *rec) setOwn(i int, v int) { binary.LittleEndian.PutUint32(r.id[4*i:], uint32(v)) }

// TasksOf returns the tasks of a map (tests and callers that build a state by hand); a nil
// map gives an empty set, not a nil one.
func TasksOf(m map[string]TaskState) *Tasks {
	b := newBuilder(nil)
	for id, st := range m {
		b.set(id, st)
	}
	return b.done()
}

// Len is the number of tasks.
func (t *Tasks) Len() int {
	if t == nil {
		return 0
	}
	return len(t.recs)
}

// Get returns the task of an id, and whether there is one.
func (t *Tasks) Get(id string) (TaskState, bool) {
	if t == nil {
		return TaskState{}, false
	}
	i, ok := t.find(id)
	if !ok {
		return TaskState{}, false
	}
	return t.at(i), true
}

// All yields every task, by id in ascending order.
func (t *Tasks) All() iter.Seq2[string, TaskState] {
	return func(yield func(string, TaskState) bool) {
		for i := range t.Len() {
			if !yield(t.idAt(i), t.at(i)) {
				return
			}
		}
	}
}

// Values yields every task without its id (which costs a string for each), in the order
// of All.
func (t *Tasks) Values() iter.Seq[TaskState] {
	return func(yield func(TaskState) bool) {
		for i := range t.Len() {
			if !yield(t.at(i)) {
				return
			}
		}
	}
}

// Map returns the tasks as a new map.
func (t *Tasks) Map() map[string]TaskState {
	m := make(map[string]TaskState, t.Len())
	for id, st := range t.All() {
		m[id] = st
	}
	return m
}

// String prints the tasks as fmt prints the map of them.
func (t *Tasks) String() string {
	if t == nil {
		return "map[]"
	}
	return fmt.Sprint(t.Map())
}

// at is the i-th task.
func (t *Tasks) at(i int) TaskState {
	r := &t.recs[i]
	return TaskState{Status: t.str(r, r.statusSym(), 1), Created: r.created, Seq: r.seq, Missing: r.missing,
		Name: t.str(r, r.nameSym(), 2), Stuck: r.stuck()}
}

// idAt is the i-th task's id.
func (t *Tasks) idAt(i int) string {
	r := &t.recs[i]
	if r.kind() == kindOther {
		return t.ids[r.own(0)]
	}
	var buf [36]byte
	return string(formatID(buf[:0], r))
}

// The process-wide table of statuses and names. Entries are only appended: a reader loads
// the list and reads below its length, which the writer never touches again.
var symbols struct {
	mu   sync.Mutex
	idx  sync.Map // string → symbol
	list atomic.Pointer[[]string]
}

// Bounds of the process-wide table: a string longer, or a string seen when the table is
// full, is kept by the state that holds it.
const (
	maxSymbols  = symOwn - 1
	maxSymbolSz = 128
)

// symOf returns the table's symbol of s, adding s while there is room; ok is false when s
// must be kept by the state.
func symOf(s string) (int, bool) {
	if s == "" {
		return 0, true
	}
	if v, ok := symbols.idx.Load(s); ok {
		return v.(int), true
	}
	if len(s) > maxSymbolSz {
		return 0, false
	}
	symbols.mu.Lock()
	defer symbols.mu.Unlock()
	if v, ok := symbols.idx.Load(s); ok {
		return v.(int), true
	}
	var l []string
	if p := symbols.list.Load(); p != nil {
		l = *p
	}
	if len(l) >= maxSymbols {
		return 0, false
	}
	l = append(l, s)
	symbols.list.Store(&l)
	symbols.idx.Store(s, len(l))
	return len(l), true
}

// str is a record's status (own 1) or name (own 2) of this symbol.
func (t *Tasks) str(r *rec, v, own int) string {
	switch v {
	case 0:
		return ""
	case symOwn:
		return t.strs[r.own(own)]
	}
	return (*symbols.list.Load())[v-1]
}
