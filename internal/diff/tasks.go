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
// A task is one fixed-size record without pointers (48 bytes; the garbage collector does
// not scan them), in a slice sorted by id: an id in the API's form (a lowercase UUID, with
// or without its dashes) is kept as its 16 bytes; any other id is kept as it is, in a side
// list. Statuses and names are indexes into one process-wide table of the strings seen,
// which is bounded (past its size, or for a long string, the record refers to a string of
// its own state instead), so a hostile API cannot make it grow without end.
//
// A nil *Tasks is an empty set that encodes as JSON null, as a nil map did.
type Tasks struct {
	recs []rec    // sorted by id, as strings sort
	ids  []string // the ids not in a compact form, indexed by rec.id
	strs []string // statuses and names not in the process-wide table, indexed by sym
}

// rec is one task. Its id is kind-dependent: the 16 bytes of a UUID or of 32 hex digits,
// or (kindOther) the index of the id in Tasks.ids in its first four bytes.
type rec struct {
	id      [16]byte
	created int64
	missing int64
	seq     uint32
	status  sym
	name    sym
	kind    uint8
	stuck   bool
}

// The forms of a task id.
const (
	kindUUID  uint8 = iota // 8-4-4-4-12 lowercase hex digits: the API's ids
	kindHex                // 32 lowercase hex digits
	kindOther              // anything else, kept as the string
)

// TasksOf returns the tasks of a map (tests and callers that build a state by hand).
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
	return TaskState{Status: t.str(r.status), Created: r.created, Seq: r.seq, Missing: r.missing,
		Name: t.str(r.name), Stuck: r.stuck}
}

// idAt is the i-th task's id.
func (t *Tasks) idAt(i int) string {
	r := &t.recs[i]
	if r.kind == kindOther {
		return t.ids[otherIndex(r)]
	}
	var buf [36]byte
	return string(formatID(buf[:0], r))
}

// key is a task id parsed for a search.
type key struct {
	id   [16]byte
	kind uint8
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
	if r.kind == k.kind && r.kind != kindOther {
		return cmpID(&r.id, &k.id)
	}
	var buf [36]byte
	return cmpStr(t.idBytes(buf[:0], r), k.s)
}

// cmpRec compares two records' ids as their strings compare.
func (t *Tasks) cmpRec(a, b *rec) int {
	if a.kind == b.kind && a.kind != kindOther {
		return cmpID(&a.id, &b.id)
	}
	var buf [36]byte
	switch {
	case b.kind == kindOther:
		return cmpStr(t.idBytes(buf[:0], a), t.ids[otherIndex(b)])
	case a.kind == kindOther:
		return -cmpStr(t.idBytes(buf[:0], b), t.ids[otherIndex(a)])
	}
	var bb [36]byte
	return cmpStr(formatID(buf[:0], a), string(formatID(bb[:0], b)))
}

// idBytes appends a record's id (any kind) to buf.
func (t *Tasks) idBytes(buf []byte, r *rec) []byte {
	if r.kind == kindOther {
		return append(buf, t.ids[otherIndex(r)]...)
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

func otherIndex(r *rec) uint32 { return binary.LittleEndian.Uint32(r.id[:4]) }

// parseID recognises the compact forms of an id: a lowercase UUID with its dashes, or 32
// lowercase hex digits. Upper case is another id (kept as its string, so never changed).
func parseID(s string) (id [16]byte, kind uint8, ok bool) {
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
		if r.kind == kindUUID && (j == 4 || j == 6 || j == 8 || j == 10) {
			buf = append(buf, '-')
		}
		buf = append(buf, hexDigits[b>>4], hexDigits[b&15])
	}
	return buf
}

// sym is a status or a name: 0 is "", local|i is Tasks.strs[i], else symbols' entry i-1.
type sym uint32

const local sym = 1 << 31

// The process-wide table of statuses and names. Entries are only appended: a reader loads
// the list and reads below its length, which the writer never touches again.
var symbols struct {
	mu   sync.Mutex
	idx  sync.Map // string → sym
	list atomic.Pointer[[]string]
}

// Bounds of the process-wide table: a string longer, or a string seen when the table is
// full, is kept by the state that holds it.
const (
	maxSymbols  = 4096
	maxSymbolSz = 128
)

// symOf returns the table's entry for s, adding it while there is room; ok is false when
// s must be kept by the state.
func symOf(s string) (sym, bool) {
	if s == "" {
		return 0, true
	}
	if v, ok := symbols.idx.Load(s); ok {
		return v.(sym), true
	}
	if len(s) > maxSymbolSz {
		return 0, false
	}
	symbols.mu.Lock()
	defer symbols.mu.Unlock()
	if v, ok := symbols.idx.Load(s); ok {
		return v.(sym), true
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
	v := sym(len(l))
	symbols.idx.Store(s, v)
	return v, true
}

func (t *Tasks) str(s sym) string {
	switch {
	case s == 0:
		return ""
	case s&local != 0:
		return t.strs[s&^local]
	}
	return (*symbols.list.Load())[s-1]
}

// builder makes the next Tasks from the previous ones: a copy of the records changed in
// place, tasks added aside, then one merge. The previous Tasks are never modified.
type builder struct {
	t     Tasks // recs: its own copy; ids, strs: shared with the base until appended to
	dead  []bool
	ndead int
	added []rec // in the order set; merged (sorted) by done
}

func newBuilder(base *Tasks) *builder {
	b := &builder{}
	if base != nil {
		b.t.recs = slices.Clone(base.recs)
		b.t.ids, b.t.strs = slices.Clip(base.ids), slices.Clip(base.strs) // appending copies
	}
	return b
}

// rec makes the record of a task (its id set by the caller).
func (b *builder) rec(st TaskState) rec {
	return rec{created: st.Created, missing: st.Missing, seq: st.Seq,
		status: b.sym(st.Status), name: b.sym(st.Name), stuck: st.Stuck}
}

func (b *builder) sym(s string) sym {
	if v, ok := symOf(s); ok {
		return v
	}
	b.t.strs = append(b.t.strs, s)
	return local | sym(len(b.t.strs)-1)
}

// set records the task of an id.
func (b *builder) set(id string, st TaskState) {
	k := keyOf(id)
	if i, ok := b.t.search(k); ok {
		b.setAt(i, st)
		return
	}
	r := b.rec(st)
	r.kind, r.id = k.kind, k.id
	if k.kind == kindOther {
		for j := range b.added { // set again before done: the last one counts
			if a := &b.added[j]; a.kind == kindOther && b.t.ids[otherIndex(a)] == id {
				r.id = a.id
				*a = r
				return
			}
		}
		b.t.ids = append(b.t.ids, id)
		binary.LittleEndian.PutUint32(r.id[:4], uint32(len(b.t.ids)-1))
	} else {
		for j := range b.added {
			if a := &b.added[j]; a.kind == k.kind && a.id == k.id {
				*a = r
				return
			}
		}
	}
	b.added = append(b.added, r)
}

// setAt records the task of the i-th record (its id unchanged).
func (b *builder) setAt(i int, st TaskState) {
	r := b.rec(st)
	r.kind, r.id = b.t.recs[i].kind, b.t.recs[i].id
	b.t.recs[i] = r
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
	for j := range b.added {
		a := &b.added[j]
		if a.kind == k.kind && (a.kind != kindOther && a.id == k.id || a.kind == kindOther && b.t.ids[otherIndex(a)] == id) {
			b.added = slices.Delete(b.added, j, j+1)
			return
		}
	}
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
	slices.SortFunc(b.added, func(x, y rec) int { return t.cmpRec(&x, &y) })
	out := make([]rec, 0, len(t.recs)-b.ndead+len(b.added))
	i, j := 0, 0
	for i < len(t.recs) || j < len(b.added) {
		if i < len(t.recs) && b.dead != nil && b.dead[i] {
			i++
			continue
		}
		if j == len(b.added) || i < len(t.recs) && t.cmpRec(&t.recs[i], &b.added[j]) < 0 {
			out = append(out, t.recs[i])
			i++
		} else {
			out = append(out, b.added[j])
			j++
		}
	}
	t.recs, b.added, b.dead, b.ndead = out, nil, nil, 0
	b.compact()
}

// compact drops the side strings no record refers to any more.
func (b *builder) compact() {
	t := &b.t
	if len(t.ids) == 0 && len(t.strs) == 0 {
		return
	}
	var ids, strs []string
	remap := func(s sym) sym {
		if s&local == 0 {
			return s
		}
		strs = append(strs, t.strs[s&^local])
		return local | sym(len(strs)-1)
	}
	for i := range t.recs {
		r := &t.recs[i]
		if r.kind == kindOther {
			ids = append(ids, t.ids[otherIndex(r)])
			binary.LittleEndian.PutUint32(r.id[:4], uint32(len(ids)-1))
		}
		r.status, r.name = remap(r.status), remap(r.name)
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
	buf := make([]byte, 0, len(t.recs)*80+2)
	buf = append(buf, '{')
	for i := range t.recs {
		r := &t.recs[i]
		if i > 0 {
			buf = append(buf, ',')
		}
		if r.kind == kindOther {
			buf = appendString(buf, t.ids[otherIndex(r)])
		} else {
			buf = append(buf, '"')
			buf = formatID(buf, r)
			buf = append(buf, '"')
		}
		buf = append(buf, `:{"s":`...)
		buf = appendString(buf, t.str(r.status))
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
		if r.name != 0 {
			buf = append(buf, `,"n":`...)
			buf = appendString(buf, t.str(r.name))
		}
		if r.stuck {
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
