package diff

import "encoding/binary"

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
		var bad byte
		for j := range 16 {
			hi, lo := unhexTable[s[2*j]], unhexTable[s[2*j+1]]
			bad |= hi | lo
			id[j] = hi<<4 | lo
		}
		if bad > 15 { // a byte that is not a digit has all of 0xf0 set
			return [16]byte{}, 0, false
		}
		return id, kindHex, true
	}
	return id, 0, false
}

func unhex(c byte) byte { return unhexTable[c] }

// unhexTable is the value of each lowercase hex digit, 255 for any other byte: parseID
// runs for every listed task of every poll.
var unhexTable = func() (t [256]byte) {
	for i := range t {
		switch c := byte(i); {
		case '0' <= c && c <= '9':
			t[i] = c - '0'
		case 'a' <= c && c <= 'f':
			t[i] = c - 'a' + 10
		default:
			t[i] = 255
		}
	}
	return t
}()

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
