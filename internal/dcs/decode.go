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
	if n := parseCount(d.count); n > 0 && n <= 1000 {
		d.p.Tasks = make([]Task, 0, n)
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
			if v, fast := d.apiTime(); fast {
				*at = v
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

// apiTime reads a string in the API's own format, "2006-01-02T15:04:05.000Z" (or without
// the fraction), without allocating. fast is false, and nothing is consumed, for any
// other string.
func (d *decoder) apiTime() (t time.Time, fast bool) {
	b := d.s.b[d.s.i:]
	n := 21 // "2006-01-02T15:04:05Z"
	if len(b) > 21 && b[20] == '.' {
		n = 25
	}
	if len(b) < n+1 || b[n-1] != 'Z' || b[n] != '"' || b[5] != '-' || b[8] != '-' || b[11] != 'T' || b[14] != ':' || b[17] != ':' {
		return time.Time{}, false
	}
	num := func(from, to int) int {
		v := 0
		for _, c := range b[from:to] {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(1, 5), num(6, 8), num(9, 11)
	hour, minute, sec, ms := num(12, 14), num(15, 17), num(18, 20), 0
	if n == 25 {
		ms = num(21, 24)
	}
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 || ms < 0 {
		return time.Time{}, false
	}
	t = time.Date(year, time.Month(month), day, hour, minute, sec, ms*1e6, time.UTC)
	if t.Day() != day { // February 30th and the like: ParseTime refuses them
		return time.Time{}, false
	}
	d.s.i += n + 1
	return t, true
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

// foldEq reports whether key equals name (lower-case ASCII) ignoring ASCII case.
func foldEq(key []byte, name string) bool {
	if len(key) != len(name) {
		return false
	}
	for i := range len(key) {
		c := key[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != name[i] {
			return false
		}
	}
	return true
}

// scanner validates JSON (RFC 8259) while the decoder walks it.
type scanner struct {
	b     []byte
	i     int
	depth int // objects and arrays open around i
	peak  int // the deepest depth reached since it was last reset
}

// maxDepth is encoding/json's nesting limit: a deeper body is refused, never a stack
// overflow.
const maxDepth = 10000

var errDepth = errors.New("exceeded max depth")

// maxTaskDepth bounds how deeply one task may nest. A deeper task is skipped (and
// counted): kept, it would end up in the state file a few levels deeper still, beyond what
// the state can be read back with, and the notifier could not restart.
const maxTaskDepth = 512

var errEOF = errors.New("unexpected end of JSON input")

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) expect(c byte) error {
	switch {
	case s.peek() == c:
		s.i++
		return nil
	case s.i >= len(s.b):
		return errEOF
	}
	return fmt.Errorf("invalid character %q, want %q", s.b[s.i], c)
}

// object reads members after the opening brace up to and including the closing one,
// calling member with the scanner at each value. exact is false when the key had escapes.
func (s *scanner) object(member func(key []byte, exact bool) error) error {
	if s.depth++; s.depth > maxDepth {
		return errDepth
	}
	s.peak = max(s.peak, s.depth)
	defer func() { s.depth-- }()
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		if s.peek() != '"' {
			if s.i >= len(s.b) {
				return errEOF
			}
			return fmt.Errorf("invalid character %q looking for an object key", s.b[s.i])
		}
		from, to, escaped, err := s.str()
		if err != nil {
			return err
		}
		key, exact := s.b[from:to], !escaped
		if escaped {
			var k string
			if err := json.Unmarshal(s.b[from-1:to+1], &k); err != nil {
				return err
			}
			key = []byte(k)
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		s.ws()
		if err := member(key, exact); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		case 0:
			return errEOF
		default:
			return fmt.Errorf("invalid character %q after an object value", s.b[s.i])
		}
	}
}

// array reads elements after the opening bracket up to and including the closing one.
func (s *scanner) array(elem func() error) error {
	if s.depth++; s.depth > maxDepth {
		return errDepth
	}
	s.peak = max(s.peak, s.depth)
	defer func() { s.depth-- }()
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for {
		s.ws()
		if err := elem(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		case 0:
			return errEOF
		default:
			return fmt.Errorf("invalid character %q after an array element", s.b[s.i])
		}
	}
}

// value skips one value of any kind.
func (s *scanner) value() error {
	switch c := s.peek(); {
	case c == '{':
		s.i++
		return s.object(func([]byte, bool) error { return s.value() })
	case c == '[':
		s.i++
		return s.array(s.value)
	case c == '"':
		_, _, _, err := s.str()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	case s.i >= len(s.b):
		return errEOF
	default:
		return fmt.Errorf("invalid character %q looking for a value", c)
	}
}

func (s *scanner) literal(w string) error {
	if len(s.b)-s.i < len(w) {
		return errEOF
	}
	if string(s.b[s.i:s.i+len(w)]) != w {
		return fmt.Errorf("invalid literal, want %s", w)
	}
	s.i += len(w)
	return nil
}

// str reads a string; from and to delimit its content between the quotes.
func (s *scanner) str() (from, to int, escaped bool, err error) {
	s.i++ // '"'
	from = s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return from, s.i - 1, escaped, nil
		case c == '\\':
			escaped = true
			if s.i+1 >= len(s.b) {
				return 0, 0, false, errEOF
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if len(s.b)-s.i < 6 {
					return 0, 0, false, errEOF
				}
				for _, h := range s.b[s.i+2 : s.i+6] {
					if !isHex(h) {
						return 0, 0, false, errors.New("invalid \\u escape in string")
					}
				}
				s.i += 6
			default:
				return 0, 0, false, fmt.Errorf("invalid escape %q in string", s.b[s.i+1])
			}
		case c < 0x20:
			return 0, 0, false, fmt.Errorf("invalid control character %q in string", c)
		default:
			s.i++
		}
	}
	return 0, 0, false, errEOF
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// number reads -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?.
func (s *scanner) number() error {
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i >= len(s.b):
		return errEOF
	case s.b[s.i] == '0':
		s.i++
	case '1' <= s.b[s.i] && s.b[s.i] <= '9':
		s.digits()
	default:
		return fmt.Errorf("invalid character %q in number", s.b[s.i])
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return errors.New("invalid number: no digits after the decimal point")
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return errors.New("invalid number: no digits in the exponent")
		}
	}
	return nil
}

func (s *scanner) digits() int {
	n := 0
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

func parseCount(raw []byte) int {
	s := strings.Trim(string(raw), `"`)
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z0700",
	"20060102150405",
}

// ParseTime reads the API's timestamps ("2020-06-17T07:38:42.503Z") and the other shapes
// seen from Huawei APIs (no zone means UTC; epoch milliseconds). It returns the zero time
// for anything else.
func ParseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC()
		}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms > 1e11 && ms < 1e14 {
		return time.UnixMilli(ms).UTC()
	}
	return time.Time{}
}

// Snippet quotes the first bytes of a body for an error message.
func Snippet(b []byte) string {
	const max = 64
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "..."
	}
	return strconv.Quote(string(b))
}
