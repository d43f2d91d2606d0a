package diff

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"notifier/internal/dcs"
)

// Many tasks of one name finishing in one poll are learned in order, absurd samples of an
// older state dropped, MaxDurations kept, and the previous state's durations untouched,
// spare capacity of their slice included (a diff never writes the state it reads).
func TestLearningManyOfANameInOnePoll(t *testing.T) {
	prev := Diff(nil, nil, opts(t0)).Next
	old := make([]int64, 0, 2*MaxDurations) // room to append in place: must not be used
	for i := range MaxDurations {
		old = append(old, int64(1000+i))
	}
	old[5] = -1 // an absurd sample from a state written before samples were checked
	before := slices.Clone(old[:cap(old)])
	prev.Durations = map[string][]int64{"EXTEND": old}
	prev.LearnedAt = map[string]int64{"EXTEND": t0.Unix()}

	now := t0.Add(time.Minute)
	var tasks []dcs.Task
	var learned []int64
	for i := range 30 {
		created := now.Add(-time.Duration(i+2) * time.Second)
		tk := task(fmt.Sprintf("t-%d", i), "EXTEND", "SUCCESS", created)
		tk.Updated = created.Add(time.Second)
		tasks = append(tasks, tk)
		learned = append(learned, time.Second.Milliseconds())
	}
	res := Diff(prev, tasks, opts(now))

	want := append(slices.Delete(slices.Clone(old), 5, 6), learned...)
	want = want[len(want)-MaxDurations:]
	if got := res.Next.Durations["EXTEND"]; !slices.Equal(got, want) {
		t.Errorf("learned durations = %v\nwant %v", got, want)
	}
	if !slices.Equal(old[:cap(old)], before) || len(prev.Durations["EXTEND"]) != MaxDurations {
		t.Errorf("the diff wrote the previous state's durations")
	}
}
