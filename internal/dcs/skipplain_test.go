package dcs

import "testing"

// skipPlain (eight bytes at a time) stops where the byte loop over plain stops: every
// byte value at every position of two words, and random mixes of plain and other bytes.
func TestSkipPlainStopsWhereTheByteLoopDoes(t *testing.T) {
	byteLoop := func(b []byte, i int) int {
		for i < len(b) && plain[b[i]] {
			i++
		}
		return i
	}
	check := func(b []byte) {
		t.Helper()
		for start := range len(b) + 1 {
			if got, want := skipPlain(b, start), byteLoop(b, start); got != want {
				t.Fatalf("skipPlain(%q, %d) = %d, want %d", b, start, got, want)
			}
		}
	}
	for v := range 256 {
		for p := range 17 {
			b := []byte("abcdefghijklmnopq")
			b[p] = byte(v)
			check(b)
		}
	}
	x := uint64(0x9E3779B97F4A7C15)
	for range 20000 {
		b := make([]byte, 23)
		for i := range b {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			if b[i] = 'a' + byte(x%26); x%5 == 0 {
				b[i] = byte(x >> 8) // any byte: quotes, backslashes, controls, UTF-8
			}
		}
		check(b)
	}
}
