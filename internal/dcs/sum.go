package dcs

import "hash/maphash"

// Sum identifies a page's body: its length and a 64-bit hash of its bytes. The hash is
// hash/maphash under a seed chosen at random when the process starts, so a server cannot
// choose a body that collides with another, and two different bodies of the same length
// share a Sum with a probability of 2⁻⁶⁴. The zero Sum is no body's.
type Sum struct {
	n int
	h uint64
}

// IsZero reports whether s is the zero Sum, which identifies no body.
func (s Sum) IsZero() bool { return s == Sum{} }

// sumSeed is the process's seed for every Sum: sums are compared within one process only.
var sumSeed = maphash.MakeSeed()

// sumOf returns the Sum of a body.
func sumOf(body []byte) Sum {
	return Sum{n: len(body) + 1, h: maphash.Bytes(sumSeed, body)} // +1: the empty body's is not zero
}
