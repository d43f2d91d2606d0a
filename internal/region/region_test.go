package region

import (
	"slices"
	"testing"
)

// Names reads the SDK's list of regions from its error; every name it gives is known, and
// the regions the docs use are among them.
func TestNames(t *testing.T) {
	names := Names()
	for _, want := range []string{"cn-north-4", "cn-east-3", "ap-southeast-1"} {
		if !slices.Contains(names, want) {
			t.Errorf("Names() = %v, want it to include %s", names, want)
		}
	}
	for _, n := range names {
		if !Known(n) {
			t.Errorf("Names() includes %q, which Known refuses", n)
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("Names() = %v, not sorted", names)
	}
}
