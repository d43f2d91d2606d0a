package diff

import "slices"

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
