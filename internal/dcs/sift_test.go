package dcs

import (
	"slices"
	"testing"
)

// TestSiftSaysWhy: every project Watchable leaves out comes back with its reason, and the
// kept ones are Watchable's.
func TestSiftSaysWhy(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef"
	ps := []AuthProject{
		{ID: id, Name: "cn-north-4_team", Enabled: true},
		{ID: "1123456789abcdef0123456789abcdef", Name: "cn-north-4", Enabled: false},
		{ID: "not-hex", Name: "cn-north-4", Enabled: true},
		{ID: "2123456789abcdef0123456789abcdef", Name: "", Enabled: true},
		{ID: "3123456789abcdef0123456789abcdef", Name: "eu-west-101", Enabled: true},
		{ID: "4123456789abcdef0123456789abcdef", Name: "mars-1", Enabled: true},
	}
	keep, skipped := Sift(ps, []string{"cn-north-4", "mars-1"})
	if len(keep) != 1 || keep[0].ID != id || keep[0].Region != "cn-north-4" || !slices.Equal(keep, Watchable(ps, []string{"cn-north-4", "mars-1"})) {
		t.Errorf("kept %+v", keep)
	}
	var why []string
	for _, s := range skipped {
		why = append(why, s.Reason)
	}
	if want := []string{SkipDisabled, SkipNotAnID, SkipNoRegion, SkipNotInRegions, SkipNoDCS}; !slices.Equal(why, want) {
		t.Errorf("reasons %q, want %q", why, want)
	}
}
