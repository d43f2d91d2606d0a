package diff

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strconv"
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

// key is a task id parsed for a search.
type key struct {
	id   [16]byte
	kind int
	s    string
}

func keyOf(id string) key {
	k := key{s: id, kind: kindOther}
	if b, kind, ok := parseID(id); ok {
		k.id, k.kind = b, kind
	}
	return k
}

// find returns the index of the task with this id, or where it would go.
func (t *Tasks) find(id string) (int, bool) {
	if t.Len() == 0 {
		return 0, false
	}
	return t.search(keyOf(id))
}

func (t *Tasks) search(k key) (int, bool) {
	lo, hi := 0, len(t.recs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.cmpKey(&t.recs[m], &k) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(t.recs) && t.cmpKey(&t.recs[lo], &k) == 0
}

// cmpKey compares a record's id with a key as their strings compare.
func (t *Tasks) cmpKey(r *rec, k *key) int {
	if r.kind() == k.kind && k.kind != kindOther {
		return cmpID(&r.id, &k.id)
	}
	var buf [36]byte
	return cmpStr(t.idBytes(buf[:0], r), k.s)
}

// cmpRec compares two records' ids as their strings compare.
func (t *Tasks) cmpRec(a, b *rec) int {
	if ka := a.kind(); ka == b.kind() && ka != kindOther {
		return cmpID(&a.id, &b.id)
	}
	var buf [36]byte
	switch {
	case b.kind() == kindOther:
		return cmpStr(t.idBytes(buf[:0], a), t.ids[b.own(0)])
	case a.kind() == kindOther:
		return -cmpStr(t.idBytes(buf[:0], b), t.ids[a.own(0)])
	}
	var bb [36]byte
	return cmpStr(formatID(buf[:0], a), string(formatID(bb[:0], b)))
}

// idBytes appends a record's id (any kind) to buf.
func (t *Tasks) idBytes(buf []byte, r *rec) []byte {
	if r.kind() == kindOther {
		return append(buf, t.ids[r.own(0)]...)
	}
	return formatID(buf, r)
}

// cmpID compares two 16-byte ids: as their hex strings compare, since hex digits sort as
// the values they stand for and both have the same form.
func cmpID(a, b *[16]byte) int {
	if x, y := binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8]); x != y {
		if x < y {
			return -1
		}
		return 1
	}
	if x, y := binary.BigEndian.Uint64(a[8:]), binary.BigEndian.Uint64(b[8:]); x != y {
		if x < y {
			return -1
		}
		return 1
	}
	return 0
}

func cmpStr(a []byte, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// parseID recognises the compact forms of an id: a lowercase UUID with its dashes, or 32
// lowercase hex digits. Upper case is another id (kept as its string, so never changed).
func parseID(s string) (id [16]byte, kind int, ok bool) {
	switch len(s) {
	case 36:
		if s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
			return id, 0, false
		}
		j := 0
		for i := 0; i < 36; i += 2 {
			if i == 8 || i == 13 || i == 18 || i == 23 {
				i--
				continue
			}
			hi, lo := unhex(s[i]), unhex(s[i+1])
			if hi > 15 || lo > 15 {
				return id, 0, false
			}
			id[j] = hi<<4 | lo
			j++
		}
		return id, kindUUID, true
	case 32:
		for j := range 16 {
			hi, lo := unhex(s[2*j]), unhex(s[2*j+1])
			if hi > 15 || lo > 15 {
				return id, 0, false
			}
			id[j] = hi<<4 | lo
		}
		return id, kindHex, true
	}
	return id, 0, false
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return 255
}

const hexDigits = "0123456789abcdef"

// formatID appends the string of a compact id.
func formatID(buf []byte, r *rec) []byte {
	for j, b := range r.id {
		if r.kind() == kindUUID && (j == 4 || j == 6 || j == 8 || j == 10) {
			buf = append(buf, '-')
		}
		buf = append(buf, hexDigits[b>>4], hexDigits[b&15])
	}
	return buf
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

// builder makes the next Tasks from the previous ones: a copy of the records changed in
// place, tasks added aside, then one merge. The previous Tasks are never modified.
type builder struct {
	t     Tasks // recs: its own copy; ids, strs: shared with the base until appended to
	dead  []bool
	ndead int
	added []rec // in the order set; sorted and merged by flush, the last of an id counting
}

func newBuilder(base *Tasks) *builder {
	b := &builder{}
	if base != nil {
		b.t.recs = slices.Clone(base.recs)
		b.t.ids, b.t.strs = slices.Clip(base.ids), slices.Clip(base.strs) // appending copies
	}
	return b
}

// rec makes the record of a task. id is its id when id() would make a string of it.
func (b *builder) rec(k *key, id func() string, st TaskState) rec {
	r := rec{id: k.id, created: st.Created, missing: st.Missing, seq: st.Seq}
	vs, oks := symOf(st.Status)
	vn, okn := symOf(st.Name)
	kind := k.kind
	if !oks || !okn {
		kind = kindOther
	}
	if kind == kindOther {
		b.t.ids = append(b.t.ids, id())
		r.id = [16]byte{}
		r.setOwn(0, len(b.t.ids)-1)
		if !oks {
			b.t.strs = append(b.t.strs, st.Status)
			r.setOwn(1, len(b.t.strs)-1)
			vs = symOwn
		}
		if !okn {
			b.t.strs = append(b.t.strs, st.Name)
			r.setOwn(2, len(b.t.strs)-1)
			vn = symOwn
		}
	}
	r.status, r.name = uint16(vs)|uint16(kind)<<symBits, uint16(vn)
	if st.Stuck {
		r.status |= stuckBit
	}
	return r
}

// set records the task of an id.
func (b *builder) set(id string, st TaskState) {
	k := keyOf(id)
	if i, ok := b.t.search(k); ok {
		b.setAt(i, st)
		return
	}
	b.added = append(b.added, b.rec(&k, func() string { return id }, st))
}

// setAt records the task of the i-th record (its id unchanged).
func (b *builder) setAt(i int, st TaskState) {
	old := &b.t.recs[i]
	k := key{id: old.id, kind: old.kind()}
	if k.kind == kindOther {
		k.s = b.t.ids[old.own(0)]
	}
	b.t.recs[i] = b.rec(&k, func() string { return b.t.idAt(i) }, st)
	if b.dead != nil && b.dead[i] {
		b.dead[i] = false
		b.ndead--
	}
}

// del forgets the task of an id.
func (b *builder) del(id string) {
	if i, ok := b.t.find(id); ok {
		b.delAt(i)
		return
	}
	k := keyOf(id)
	b.added = slices.DeleteFunc(b.added, func(a rec) bool { return b.t.cmpKey(&a, &k) == 0 })
}

// delAt forgets the i-th record's task.
func (b *builder) delAt(i int) {
	if b.dead == nil {
		b.dead = make([]bool, len(b.t.recs))
	}
	if !b.dead[i] {
		b.dead[i] = true
		b.ndead++
	}
}

// flush merges the added tasks and drops the forgotten ones: b.t is then the current
// tasks, with indexes that the next changes refer to.
func (b *builder) flush() {
	if len(b.added) == 0 && b.ndead == 0 {
		b.dead = nil
		return
	}
	t := &b.t
	added := b.added
	if len(added) > 1 {
		slices.SortStableFunc(added, func(x, y rec) int { return t.cmpRec(&x, &y) })
		w := 0 // of the tasks set more than once, the last
		for i := range added {
			if i+1 < len(added) && t.cmpRec(&added[i], &added[i+1]) == 0 {
				continue
			}
			added[w] = added[i]
			w++
		}
		added = added[:w]
	}
	out := make([]rec, 0, len(t.recs)-b.ndead+len(added))
	i, j := 0, 0
	for i < len(t.recs) || j < len(added) {
		if i < len(t.recs) && b.dead != nil && b.dead[i] {
			i++
			continue
		}
		if j == len(added) || i < len(t.recs) && t.cmpRec(&t.recs[i], &added[j]) < 0 {
			out = append(out, t.recs[i])
			i++
		} else {
			out = append(out, added[j])
			j++
		}
	}
	t.recs, b.added, b.dead, b.ndead = out, nil, nil, 0
}

// compact drops the side strings no record refers to any more, and gives a record of
// kindOther that no longer needs to be its compact form: the same tasks are the same
// value however they were built.
func (b *builder) compact() {
	t := &b.t
	if len(t.ids) == 0 && len(t.strs) == 0 {
		return
	}
	var ids, strs []string
	for i := range t.recs {
		r := &t.recs[i]
		if r.kind() != kindOther {
			continue
		}
		id := t.ids[r.own(0)]
		vs, vn := r.statusSym(), r.nameSym()
		if cid, kind, ok := parseID(id); ok && vs != symOwn && vn != symOwn {
			r.id = cid
			r.setKind(kind)
			continue
		}
		var own [3]int
		ids = append(ids, id)
		own[0] = len(ids) - 1
		if vs == symOwn {
			strs = append(strs, t.strs[r.own(1)])
			own[1] = len(strs) - 1
		}
		if vn == symOwn {
			strs = append(strs, t.strs[r.own(2)])
			own[2] = len(strs) - 1
		}
		r.id = [16]byte{}
		for j, v := range own {
			r.setOwn(j, v)
		}
	}
	t.ids, t.strs = slices.Clip(ids), slices.Clip(strs)
}

// done returns the tasks built; the builder must not be used after.
func (b *builder) done() *Tasks {
	b.flush()
	b.compact()
	t := b.t
	if len(t.recs) == 0 {
		t = Tasks{}
	}
	return &t
}

// MarshalJSON writes the tasks as encoding/json writes a map[string]TaskState: keys
// sorted, the same escaping, the same omitted fields.
func (t *Tasks) MarshalJSON() ([]byte, error) {
	if t == nil {
		return []byte("null"), nil
	}
	buf := make([]byte, 0, len(t.recs)*90+2)
	buf = append(buf, '{')
	for i := range t.recs {
		r := &t.recs[i]
		if i > 0 {
			buf = append(buf, ',')
		}
		if r.kind() == kindOther {
			buf = appendString(buf, t.ids[r.own(0)])
		} else {
			buf = append(buf, '"')
			buf = formatID(buf, r)
			buf = append(buf, '"')
		}
		buf = append(buf, `:{"s":`...)
		buf = appendString(buf, t.str(r, r.statusSym(), 1))
		buf = append(buf, `,"c":`...)
		buf = strconv.AppendInt(buf, r.created, 10)
		if r.seq != 0 {
			buf = append(buf, `,"q":`...)
			buf = strconv.AppendUint(buf, uint64(r.seq), 10)
		}
		if r.missing != 0 {
			buf = append(buf, `,"m":`...)
			buf = strconv.AppendInt(buf, r.missing, 10)
		}
		if v := r.nameSym(); v != 0 {
			buf = append(buf, `,"n":`...)
			buf = appendString(buf, t.str(r, v, 2))
		}
		if r.stuck() {
			buf = append(buf, `,"k":true`...)
		}
		buf = append(buf, '}')
	}
	return append(buf, '}'), nil
}

// appendString appends s as encoding/json writes it.
func appendString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always encodes
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// UnmarshalJSON reads the tasks as encoding/json reads a map[string]TaskState.
func (t *Tasks) UnmarshalJSON(b []byte) error {
	var m map[string]TaskState
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*t = *TasksOf(m)
	return nil
}
