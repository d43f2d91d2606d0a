package event

import (
	"slices"
	"testing"
)

// Every type the notifier sends is one kind of event_types, and the kinds are the four.
func TestEveryTypeHasAClass(t *testing.T) {
	want := map[string]string{
		TypeCreated: ClassTask, TypeStatusChanged: ClassTask, TypeStuck: ClassStuck,
		TypeGap: ClassGap, TypeRestored: ClassGap, TypeTest: ClassTest,
		"com.huaweicloud.dcs.task.renamed": "",
	}
	seen := map[string]bool{}
	for typ, class := range want {
		if got := ClassOf(typ); got != class {
			t.Errorf("ClassOf(%s) = %q, want %q", typ, got, class)
		}
		seen[class] = true
	}
	for _, c := range Classes() {
		if !seen[c] {
			t.Errorf("class %s has no type", c)
		}
	}
	if !slices.Equal(Classes(), []string{"task", "stuck", "gap", "test"}) {
		t.Errorf("Classes() = %v", Classes())
	}
}

func TestKnownStatuses(t *testing.T) {
	got := KnownStatuses([]string{"SUCCESS", "failed", "RUNNING"})
	for _, s := range []string{"SUCCESS", "FAILED", "RUNNING", "EXECUTING"} {
		if !slices.Contains(got, s) {
			t.Errorf("KnownStatuses lacks %s: %v", s, got)
		}
	}
	if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Errorf("KnownStatuses = %v: want sorted, without repeats", got)
	}
}
