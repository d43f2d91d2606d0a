package config

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/pelletier/go-toml/v2/unstable"
)

// A span is one key of the document, or one element of an array, with the
// byte range it covers. go-toml reports a key without the index of the array
// table it is in ("dcs.projects.regionn"); spans map an error's position back
// to the indexed path ("dcs.projects[1].regionn").
type span struct {
	path       string
	start, end int // byte offsets, end excluded
	kind       unstable.Kind
}

// indexDocument lists the spans of every table header, key-value and array
// element of doc, in document order. It stops quietly at a syntax error,
// which the decoder reports itself.
func indexDocument(doc []byte) []span {
	w := walker{arrays: map[string]int{}}
	var p unstable.Parser
	p.Reset(doc)
	table := ""
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = w.header(e)
		case unstable.KeyValue:
			w.keyValue(table, e)
		}
	}
	return w.spans
}

type walker struct {
	spans  []span
	arrays map[string]int // indexed path of an array table: elements so far
}

// header records a [table] or [[array.table]] and returns its indexed path.
func (w *walker) header(e *unstable.Node) string {
	path := ""
	start, end := -1, -1
	for it := e.Key(); it.Next(); {
		k := it.Node()
		start, end = union(start, end, k)
		path = join(path, string(k.Data))
		if it.IsLast() && e.Kind == unstable.ArrayTable {
			w.arrays[path]++
			path += "[" + strconv.Itoa(w.arrays[path]-1) + "]"
		} else if n, ok := w.arrays[path]; ok {
			path += "[" + strconv.Itoa(n-1) + "]"
		}
	}
	w.spans = append(w.spans, span{path: path, start: start, end: end, kind: e.Kind})
	return path
}

// keyValue records a key-value under prefix and, for an array or an inline
// table, what is inside it.
func (w *walker) keyValue(prefix string, e *unstable.Node) {
	path := prefix
	start, end := -1, -1
	for it := e.Key(); it.Next(); {
		start, end = union(start, end, it.Node())
		path = join(path, string(it.Node().Data))
	}
	v := e.Value()
	i := len(w.spans)
	w.spans = append(w.spans, span{path: path, kind: v.Kind})
	s, t := w.value(path, v)
	w.spans[i].start, w.spans[i].end = merge(start, end, s, t)
}

// value records what is inside an array or an inline table and returns the
// byte range of v.
func (w *walker) value(path string, v *unstable.Node) (start, end int) {
	start, end = union(-1, -1, v)
	n := 0
	for it := v.Children(); it.Next(); {
		c := it.Node()
		switch {
		case v.Kind == unstable.Array && c.Kind != unstable.Comment:
			p := path + "[" + strconv.Itoa(n) + "]"
			n++
			i := len(w.spans)
			w.spans = append(w.spans, span{path: p, kind: c.Kind})
			s, t := w.value(p, c)
			w.spans[i].start, w.spans[i].end = s, t
			start, end = merge(start, end, s, t)
		case v.Kind == unstable.InlineTable && c.Kind == unstable.KeyValue:
			w.keyValue(path, c)
			last := w.spans[len(w.spans)-1]
			start, end = merge(start, end, last.start, last.end)
		}
	}
	return start, end
}

// union extends the range [start, end) to cover n's raw bytes.
func union(start, end int, n *unstable.Node) (int, int) {
	if n.Raw.Length == 0 {
		return start, end
	}
	s := int(n.Raw.Offset)
	return merge(start, end, s, s+int(n.Raw.Length))
}

// merge returns the smallest range covering both ranges; -1 means no range.
func merge(start, end, s, t int) (int, int) {
	if s < 0 {
		return start, end
	}
	if start < 0 || s < start {
		start = s
	}
	if t > end {
		end = t
	}
	return start, end
}

var bareKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// join appends key part k to path, quoting k if it is not a bare TOML key.
func join(path, k string) string {
	if !bareKey.MatchString(k) {
		k = strconv.Quote(k)
	}
	if path == "" {
		return k
	}
	return path + "." + k
}

// pathAt returns the path of the innermost span that covers offset.
func pathAt(spans []span, offset int) (string, bool) {
	best := -1
	for i, s := range spans {
		if s.start <= offset && offset < s.end &&
			(best < 0 || s.end-s.start <= spans[best].end-spans[best].start) {
			best = i
		}
	}
	if best < 0 {
		return "", false
	}
	return spans[best].path, true
}

var indexRE = regexp.MustCompile(`\[[0-9]+\]`)

// durationKeys returns the paths, without indices, of the Duration fields of
// Config. go-toml stores a TOML integer in a Duration as nanoseconds, so Load
// rejects any value of these keys that is not a string.
var durationKeys = sync.OnceValue(func() map[string]bool {
	keys := map[string]bool{}
	var walk func(prefix string, t reflect.Type)
	walk = func(prefix string, t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			path := join(prefix, name)
			if f.Anonymous && name == "" {
				path = prefix // an embedded struct's keys are the table's own (receiver.Common)
			}
			ft := f.Type
			if ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			switch {
			case ft == reflect.TypeFor[Duration]():
				keys[path] = true
			case ft.Kind() == reflect.Struct:
				walk(path, ft)
			}
		}
	}
	walk("", reflect.TypeFor[Config]())
	return keys
})
