package dcs

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

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

// skipObject is object for an object none of whose members is read (details, and any
// value the notifier does not look at): it checks the same and keeps the same depths,
// without a call back for each member or decoding an escaped key.
func (s *scanner) skipObject() error {
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
		if _, _, _, err := s.str(); err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := s.value(); err != nil {
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

// skipArray is array for an array whose elements are skipped.
func (s *scanner) skipArray() error {
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
		if err := s.value(); err != nil {
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
		return s.skipObject()
	case c == '[':
		s.i++
		return s.skipArray()
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
	b, i := s.b, s.i+1 // after '"'
	from = i
	for {
		i = skipPlain(b, i)
		if i >= len(b) {
			s.i = i
			return 0, 0, false, errEOF
		}
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			return from, i, escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				s.i = i
				return 0, 0, false, errEOF
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(b)-i < 6 {
					s.i = i
					return 0, 0, false, errEOF
				}
				for _, h := range b[i+2 : i+6] {
					if !isHex(h) {
						s.i = i
						return 0, 0, false, errors.New("invalid \\u escape in string")
					}
				}
				i += 6
			default:
				s.i = i
				return 0, 0, false, fmt.Errorf("invalid escape %q in string", b[i+1])
			}
		default: // a control character
			s.i = i
			return 0, 0, false, fmt.Errorf("invalid control character %q in string", c)
		}
	}
}

// skipPlain returns the index of the first byte at or after i that is not plain (or
// len(b)): eight bytes at a time while all eight are plain, then byte by byte.
func skipPlain(b []byte, i int) int {
	const (
		ones   = 0x0101010101010101
		highs  = 0x8080808080808080
		quote  = '"' * ones
		bslash = '\\' * ones
		ctrl   = 0x20 * ones
	)
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		// A byte of a word is zero, or below 0x20, where (x - ones) &^ x has its high bit
		// set (exact for the lowest such byte, which is the one that stops this loop; a
		// borrow may mark higher bytes too, which the byte loop below reads as they are).
		q, sl := w^quote, w^bslash
		if ((q-ones)&^q|(sl-ones)&^sl|(w-ctrl)&^w)&highs != 0 {
			break
		}
	}
	for i < len(b) && plain[b[i]] {
		i++
	}
	return i
}

// plain marks the bytes a string holds as they are: not a quote, a backslash or a
// control character. str skips runs of them in a tight loop: most of a page is the
// content of strings the notifier does not read.
var plain = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\'
	}
	return t
}()

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
