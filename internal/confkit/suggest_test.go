package confkit

import "testing"

func TestClosest(t *testing.T) {
	known := []string{"task", "stuck", "gap", "test", "prod-cn", "cn-north-4", "masterStandbySwapJob"}
	for _, tt := range []struct{ name, want string }{
		{"stuk", "stuck"},
		{"Gap", "gap"},
		{"prod-nc", "prod-cn"}, // two letters swapped: one edit
		{"cn-nrth-4", "cn-north-4"},
		{"masterStandbySwap", "masterStandbySwapJob"}, // a prefix
		{"gap", ""},                                   // itself: nothing to suggest
		{"weekly", ""},
	} {
		if got := Closest(tt.name, known); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := DidYouMean("stuk", known); got != `; did you mean "stuck"?` {
		t.Errorf("DidYouMean = %q", got)
	}
}
