package diff

import (
	"fmt"
	"testing"
	"time"

	"notifier/internal/dcs"
)

// TestIndexGivesTheSameDiff: a diff given the index of the last one finds the same tasks
// as one without, whether the index matches (same ids against the same tasks, statuses
// changed or not) or not (another listing, other tasks), and the index follows the listing.
func TestIndexGivesTheSameDiff(t *testing.T) {
	c := t0.Add(-time.Hour)
	ids := []string{"c8d3a1f0-5b2e-4c1a-9f3e-0a1b2c3d4e5f", "0123456789abcdef0123456789abcdef", "other-id", "T1"}
	listing := func(status map[string]string, extra ...string) []dcs.Task {
		var ts []dcs.Task
		for _, id := range append(append([]string(nil), ids...), extra...) {
			s := status[id]
			if s == "" {
				s = "RUNNING"
			}
			ts = append(ts, task(id, "EXTEND", s, c))
		}
		return ts
	}
	o := opts(t0)
	prev := Diff(nil, listing(nil), o).Next
	ix := &Index{}
	steps := []struct {
		tasks []dcs.Task
		hit   bool // the index matches before the diff
	}{
		{listing(nil), false},
		{listing(nil), true},
		{listing(map[string]string{"other-id": "SUCCESS", "T1": "FAILED"}), true},
		{reversed(listing(map[string]string{"T1": "FAILED"})), false},
		{listing(nil), false},
		{listing(nil, "new"), false},
		{listing(nil, "new"), true},
		{listing(nil), false},
	}
	for i, s := range steps {
		if got := ix.matches(prev.Tasks, s.tasks); got != s.hit {
			t.Fatalf("step %d: index matches %v, want %v", i, got, s.hit)
		}
		with := o
		with.Index = ix
		got, want := Diff(prev, s.tasks, with), Diff(prev, s.tasks, o)
		if fmt.Sprint(kinds(got.Events)) != fmt.Sprint(kinds(want.Events)) || got.Changed != want.Changed ||
			fmt.Sprint(got.Next.Tasks) != fmt.Sprint(want.Next.Tasks) {
			t.Fatalf("step %d: with the index %v %v, without %v %v", i, kinds(got.Events), got.Next.Tasks, kinds(want.Events), want.Next.Tasks)
		}
		if ix.tasks != prev.Tasks {
			t.Fatalf("step %d: the index is not of the tasks diffed against", i)
		}
	}
	// A listing with a repeated id leaves no index.
	Diff(prev, append(listing(nil), task("T1", "EXTEND", "SUCCESS", c)), Options{Policy: o.Policy, Now: o.Now, Index: ix})
	if ix.tasks != nil || len(ix.ids) != 0 {
		t.Fatal("a listing that needed dedupe was indexed")
	}
}

func reversed(ts []dcs.Task) []dcs.Task {
	out := make([]dcs.Task, 0, len(ts))
	for i := len(ts) - 1; i >= 0; i-- {
		out = append(out, ts[i])
	}
	return out
}
