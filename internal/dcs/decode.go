// Package dcs reads the Huawei Cloud DCS task center (GET /v2/{project_id}/tasks).
//
// The SDK signs requests and maps regions to endpoints; the body is decoded here, because
// the SDK's typed ListCenterTask cannot decode the API's own example response (task_count
// and capacities arrive as numbers where its model says string).
package dcs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Task is one task from the task center: the fields the notifier reasons about, plus the
// whole object exactly as the API sent it.
type Task struct {
	ID      string
	Name    string
	Status  string
	Created time.Time // zero when created_at is missing or unparseable
	Updated time.Time // zero when updated_at is missing or unparseable
	Raw     json.RawMessage
}

// Page is one decoded response.
type Page struct {
	Count   int    // task_count, or -1 when the response had none
	Tasks   []Task // in response order; tasks without an id are left out
	Skipped int    // elements that were not objects or had no id
	// Sum is the body's, when the query asked for it (Query.Digest or Query.Same).
	Sum Sum
	// Same: the body's Sum is Query.Same's. The body was not decoded: Count, Tasks and
	// Skipped are those of the page read before, which the caller knows.
	Same bool

	body  *[]byte // the pooled buffer Tasks' Raw share, for Release; nil: not pooled
	tasks *[]Task // the pooled slice's holder, reused to hand Tasks back with the body
}

// Release hands the page's body back, for the next page to be read into. Its tasks' Raw
// share that body, so after Release neither the page nor any copy of its tasks may be
// used (an event keeps its own copy of its task). Releasing is optional: a page never
// released is collected as usual. A fleet polls dozens of pages a second; reusing their
// buffers saves allocating and zeroing each one and half the collector's work.
func (p *Page) Release() {
	if p == nil || p.body == nil {
		return
	}
	b := p.body
	if c := cap(p.Tasks); c > 0 && c <= maxPooledTasks {
		clear(p.Tasks) // no string of a released page stays reachable
		h := p.tasks
		if h == nil {
			h = new([]Task)
		}
		*h = p.Tasks[:0]
		taskSlices.Put(h)
	}
	p.body, p.Tasks, p.tasks = nil, nil, nil
	releaseBody(b)
}

// Reusable reports whether the page can be passed as Query.Reuse: its body is held (a
// pooled one; a page larger than the pool takes is never compared).
func (p *Page) Reusable() bool { return p != nil && p.body != nil }

// releaseBody hands a body buffer back to the pool.
func releaseBody(b *[]byte) {
	if poison.Load() {
		full := (*b)[:cap(*b)]
		for i := range full {
			full[i] = '#'
		}
	}
	bodies.Put(b)
}

// taskSlices are the Tasks slices of released pages (*[]Task, empty): a page of 1,000
// tasks is a slice of 120 KB, allocated and grown at every page otherwise.
var taskSlices sync.Pool

// maxPooledTasks bounds the slices kept: a page has at most 1,000 tasks (the API's limit).
const maxPooledTasks = 1024

// bodies are the buffers of released pages. Only buffers up to maxPooledBody are kept, so
// one huge page does not stay in memory for good.
var bodies sync.Pool

const maxPooledBody = 4 << 20

// poison, when set (tests), overwrites a released body, so a use after Release reads
// garbage instead of what happened to still be there.
var poison atomic.Bool

// PoisonReleased makes Release overwrite every body it hands back (for tests: a task's
// Raw used after its page was released then shows).
func PoisonReleased(on bool) { poison.Store(on) }

// pooledBuffer returns an empty buffer of capacity at least n, from a released page when
// one is large enough.
func pooledBuffer(n int) *[]byte {
	if n > maxPooledBody {
		b := make([]byte, 0, n)
		return &b
	}
	if b, ok := bodies.Get().(*[]byte); ok && cap(*b) >= n {
		*b = (*b)[:0]
		return b
	}
	b := make([]byte, 0, max(n, 64<<10))
	return &b
}

// ErrDecode marks a body that is not a task-center response.
var ErrDecode = errors.New("malformed task-center response")

// flexString accepts a JSON string, number, boolean or null, so a field whose type the
// API changes does not fail the whole poll. Error bodies are decoded with it.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	if string(b) == "null" {
		*f = ""
		return nil
	}
	if len(b) > 0 && (b[0] == '{' || b[0] == '[') {
		return fmt.Errorf("want a scalar, got %.20s", b)
	}
	*f = flexString(b)
	return nil
}

// Decode parses a task-center response body tolerantly: task_count may be a number, a
// string or absent, unknown fields are kept in Task.Raw, and invalid UTF-8 is replaced.
// A body that is not a JSON object with a tasks array is an error wrapping ErrDecode.
//
// It reads the body once, validating it as it goes, and takes from each task only the
// fields the notifier reasons about: a poll decodes every task of every page, and almost
// all of them are unchanged. Task.Raw shares the body's memory (the body is never reused).
// Object keys match case-insensitively and the last duplicate wins, as with encoding/json.
func Decode(body []byte) (*Page, error) {
	if !utf8.Valid(body) {
		body = bytes.ToValidUTF8(body, []byte("\uFFFD"))
	}
	d := decoder{s: scanner{b: body}}
	if err := d.page(); err != nil {
		return nil, fmt.Errorf("%w: %v (body starts %s)", ErrDecode, err, Snippet(body))
	}
	if !d.hasTasks {
		return nil, fmt.Errorf("%w: no tasks array (body starts %s)", ErrDecode, Snippet(body))
	}
	if d.p.Tasks == nil {
		d.p.Tasks = []Task{}
	}
	d.p.Count = parseCount(d.count)
	return &d.p, nil
}

// decoder fills a Page from one pass of the scanner.
type decoder struct {
	s        scanner
	p        Page
	count    []byte // task_count's raw value
	hasTasks bool
	intern   map[string]string // names and statuses repeat on every task: one string each
}

func (d *decoder) page() error {
	s := &d.s
	s.ws()
	if err := s.expect('{'); err != nil {
		return err
	}
	err := s.object(func(key []byte, exact bool) error {
		start := s.i
		switch {
		case foldEq(key, "task_count"):
			if err := s.value(); err != nil {
				return err
			}
			d.count = s.b[start:s.i]
			return nil
		case foldEq(key, "tasks"):
			return d.tasks(exact)
		}
		return s.value()
	})
	if err != nil {
		return err
	}
	s.ws()
	if s.i != len(s.b) {
		return fmt.Errorf("invalid character %q after top-level value", s.b[s.i])
	}
	return nil
}

// tasks reads the tasks array (or null); the last tasks key wins.
func (d *decoder) tasks(exact bool) error {
	s := &d.s
	d.p.Tasks, d.p.Skipped = nil, 0
	if s.peek() == 'n' {
		d.hasTasks = d.hasTasks || exact
		return s.literal("null")
	}
	if err := s.expect('['); err != nil {
		return fmt.Errorf("tasks: %w", err)
	}
	d.hasTasks = true
	if p, ok := taskSlices.Get().(*[]Task); ok {
		d.p.Tasks, d.p.tasks = (*p)[:0], p
	} else if n := parseCount(d.count); n > 0 {
		// task_count counts the window, a page holds 1,000 at most (the API's limit).
		d.p.Tasks = make([]Task, 0, min(n, 1000))
	}
	return s.array(func() error {
		start := s.i
		if s.peek() != '{' {
			d.p.Skipped++
			return s.value()
		}
		s.peak = s.depth
		t, ok, err := d.task()
		if err != nil {
			return err
		}
		if !ok || s.peak-s.depth > maxTaskDepth {
			d.p.Skipped++
			return nil
		}
		t.Raw = s.b[start:s.i]
		d.p.Tasks = append(d.p.Tasks, t)
		return nil
	})
}

// task reads one task object; ok is false when it has no id or a field the notifier needs
// is an object or an array.
func (d *decoder) task() (t Task, ok bool, err error) {
	s := &d.s
	s.i++ // '{'
	ok = true
	err = s.object(func(key []byte, _ bool) error {
		var dst *string
		var at *time.Time
		intern := false
		switch {
		case foldEq(key, "id"):
			dst = &t.ID
		case foldEq(key, "name"):
			dst, intern = &t.Name, true
		case foldEq(key, "status"):
			dst, intern = &t.Status, true
		case foldEq(key, "created_at"):
			at = &t.Created
		case foldEq(key, "updated_at"):
			at = &t.Updated
		default:
			return s.value()
		}
		if at != nil && s.peek() == '"' {
			// The API's own shape is parsed from the bytes; others go through ParseTime.
			if v, n := apiTime(s.b[s.i:]); n > 0 {
				*at = v
				s.i += n
				return nil
			}
		}
		v, scalar, err := d.scalar(intern)
		if err != nil {
			return err
		}
		if !scalar {
			ok = false
		}
		if at != nil {
			*at = ParseTime(v)
			return nil
		}
		*dst = v
		return nil
	})
	if err != nil || !ok || t.ID == "" {
		return Task{}, false, err
	}
	return t, true, nil
}

// scalar reads a value as text: a string's content, a number or boolean as written, null
// as "". scalar is false for an object or an array, which is skipped.
func (d *decoder) scalar(intern bool) (string, bool, error) {
	s := &d.s
	start := s.i
	switch s.peek() {
	case '{', '[':
		return "", false, s.value()
	case 'n':
		return "", true, s.literal("null")
	case '"':
		from, to, escaped, err := s.str()
		if err != nil {
			return "", false, err
		}
		if escaped {
			var v string
			err := json.Unmarshal(s.b[from-1:to+1], &v)
			return v, err == nil, err
		}
		return d.text(s.b[from:to], intern), true, nil
	}
	if err := s.value(); err != nil {
		return "", false, err
	}
	return d.text(s.b[start:s.i], intern), true, nil
}

func (d *decoder) text(b []byte, intern bool) string {
	if !intern {
		return string(b)
	}
	if v, ok := d.intern[string(b)]; ok {
		return v
	}
	if d.intern == nil {
		d.intern = make(map[string]string, 16)
	}
	v := string(b)
	d.intern[v] = v
	return v
}

// maxTaskDepth bounds how deeply one task may nest. A deeper task is skipped (and
// counted): kept, it would end up in the state file a few levels deeper still, beyond what
// the state can be read back with, and the notifier could not restart.
const maxTaskDepth = 512

func parseCount(raw []byte) int {
	s := strings.Trim(string(raw), `"`)
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// Snippet quotes the first bytes of a body for an error message.
func Snippet(b []byte) string {
	const max = 64
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "..."
	}
	return strconv.Quote(string(b))
}
