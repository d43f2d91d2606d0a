package state

import (
	"reflect"
	"testing"

	"notifier/internal/diff"
)

// What the stuck and blind-spot checks rely on is saved with the project, in both
// backends: the learned durations and when each name's were last learned, the last
// successful poll, an open blind spot and the window parameter learned; a task's stuck
// mark and name.
func TestWatchStateSurvivesBothBackends(t *testing.T) {
	want := &diff.ProjectState{
		Horizon:     3,
		Tasks:       diff.TasksOf(map[string]diff.TaskState{"a": {Status: "RUNNING", Created: 5, Seq: 1, Name: "masterStandbySwapJob", Stuck: true}}),
		Durations:   map[string][]int64{"EXTEND": {60000, 61000}},
		LearnedAt:   map[string]int64{"EXTEND": 1699999900},
		LastOK:      1700000000000,
		Gap:         &diff.Gap{Since: 1699999000000, Reason: "credentials refused", Announced: 1},
		WindowParam: "begin_time",
	}
	check := func(name string, got *Snapshot) {
		t.Helper()
		if p := got.Projects["p1"]; !reflect.DeepEqual(p, want) {
			t.Errorf("%s: read back %+v, want %+v", name, p, want)
		}
	}

	f, err := OpenFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	snap := Empty()
	snap.Projects["p1"] = want
	if err := f.Save(t.Context(), snap); err != nil {
		t.Fatal(err)
	}
	back, err := f.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	check("file", back)

	kv := kvBucket(t)
	s, ksnap := loadKV(t, kv, KVOptions{Projects: []string{"p1"}, Term: 1})
	ksnap.Projects["p1"] = want
	if err := s.Save(t.Context(), ksnap); err != nil {
		t.Fatal(err)
	}
	_, kback := loadKV(t, kv, KVOptions{Projects: []string{"p1"}, Term: 2})
	check("nats-kv", kback)
}
