package confkit

import (
	"fmt"
	"strings"
)

// Closest returns the value of known that name was most likely meant to be: the same but
// for case, one the prefix of the other (four characters at least), or a few edits away.
// It returns "" when none is close, and when name is itself one of known.
func Closest(name string, known []string) string {
	l := strings.ToLower(strings.TrimSpace(name))
	best, bestDist := "", -1
	for _, k := range known {
		if k == name {
			return ""
		}
		kl := strings.ToLower(k)
		d := distance(l, kl)
		prefix := len(l) >= 4 && (strings.HasPrefix(kl, l) || strings.HasPrefix(l, kl))
		if d > max(1, len(kl)/4) && !prefix {
			continue
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// DidYouMean is what an error about name adds when one of known is close to it:
// `; did you mean "stuck"?`, or "" when none is.
func DidYouMean(name string, known []string) string {
	if near := Closest(name, known); near != "" {
		return fmt.Sprintf("; did you mean %q?", near)
	}
	return ""
}

// distance is the edit distance between a and b, in bytes, where swapping two neighbours
// is one edit as inserting, deleting or changing one is (optimal string alignment).
func distance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
