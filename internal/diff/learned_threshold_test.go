package diff

import (
	"math"
	"testing"
	"time"

	"notifier/internal/dcs"
	"notifier/internal/event"
)

// Five finished tasks of a name whose updated_at the API gives as a far-future date
// (9999-12-31, a "never" placeholder, or garbage) must not teach an enormous duration
// whose threshold (factor × p95) overflows time.Duration, comes out negative and is raised
// to min_after: every later task of that name would be announced stuck after 5 minutes (a
// switchover's stuck event is critical and pages). Such a duration, longer than
// max_follow, is not learned.
func TestFarFutureEndDoesNotMakeEveryTaskStuckAtMinAfter(t *testing.T) {
	o := stuckOpts(t0)
	o.Stuck.After = nil // nothing configured for the name: learned
	var prev *ProjectState
	far := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	var tasks []dcs.Task
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		tk := task(id, event.SwitchoverTask, "SUCCESS", t0.Add(-time.Hour))
		tk.Updated = far
		tasks = append(tasks, tk)
	}
	o.Notify = true
	res := Diff(prev, tasks, o)
	prev = res.Next
	limit, src := o.Stuck.Threshold(event.SwitchoverTask, prev.Durations[event.SwitchoverTask])
	t.Logf("learned threshold %v (%s)", limit, src)
	// A new switchover, running for 6 minutes.
	now := t0.Add(time.Hour)
	running := append(tasks, task("new", event.SwitchoverTask, "RUNNING", now.Add(-6*time.Minute)))
	o2 := stuckOpts(now)
	o2.Stuck.After = nil
	res = Diff(prev, running, o2)
	if st := ofType(res.Events, event.TypeStuck); len(st) > 0 {
		t.Errorf("a switchover running 6 minutes is announced stuck (threshold %v from a learned p95 of %d ms)", limit, prev.Durations[event.SwitchoverTask][0])
	}
}

// The same far-future ends with no max_follow to reject them (tasks followed for ever):
// they are learned, and the threshold saturates instead of overflowing to min_after.
func TestFarFutureEndWithoutMaxFollowSaturatesTheThreshold(t *testing.T) {
	o := stuckOpts(t0)
	o.Stuck.After, o.MaxFollow, o.Notify = nil, 0, true
	var tasks []dcs.Task
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		tk := task(id, event.SwitchoverTask, "SUCCESS", t0.Add(-time.Hour))
		tk.Updated = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
		tasks = append(tasks, tk)
	}
	prev := Diff(nil, tasks, o).Next
	if got := len(prev.Durations[event.SwitchoverTask]); got != 5 {
		t.Fatalf("learned %d durations, want 5 (no max_follow bounds them)", got)
	}
	o2 := stuckOpts(t0.Add(time.Hour))
	o2.Stuck.After, o2.MaxFollow = nil, 0
	res := Diff(prev, append(tasks, task("new", event.SwitchoverTask, "RUNNING", t0.Add(54*time.Minute))), o2)
	if st := ofType(res.Events, event.TypeStuck); len(st) > 0 {
		t.Errorf("a switchover running 6 minutes is announced stuck (threshold %v)", time.Duration(st[0].Data.ThresholdSeconds)*time.Second)
	}
}

// Factor × p95 saturates at the longest duration, whatever the factor and the samples.
func TestLearnedThresholdSaturates(t *testing.T) {
	p := StuckPolicy{Factor: 3, MinSamples: 5, MinAfter: 5 * time.Minute}
	huge := []int64{math.MaxInt64, math.MaxInt64, math.MaxInt64, math.MaxInt64, math.MaxInt64}
	big := []int64{1 << 50, 1 << 50, 1 << 50, 1 << 50, 1 << 50} // 35,000 years: × 1e6 × 3 overflows
	for _, d := range [][]int64{huge, big} {
		if got, src := p.Threshold("EXTEND", d); got != math.MaxInt64 || src != event.ThresholdLearned {
			t.Errorf("p95 %d ms × 3: %v (%s), want %v (learned)", d[0], got, src, time.Duration(math.MaxInt64))
		}
	}
	p.Factor = math.MaxFloat64
	if got, _ := p.Threshold("EXTEND", []int64{60e3, 60e3, 60e3, 60e3, 60e3}); got != math.MaxInt64 {
		t.Errorf("factor %g × 1m: %v, want %v", p.Factor, got, time.Duration(math.MaxInt64))
	}
}

// Only durations that can be real are learned: not negative (updated_at before
// created_at), not longer than max_follow; max_follow itself is.
func TestAbsurdDurationsAreNotLearned(t *testing.T) {
	o := opts(t0)
	o.Notify = true
	created := t0.Add(-2 * time.Hour)
	before := finished("before", "EXTEND", created, -time.Minute)
	longer := finished("longer", "EXTEND", created, o.MaxFollow+time.Millisecond)
	exact := finished("exact", "EXTEND", created, o.MaxFollow)
	st := Diff(nil, []dcs.Task{before, longer, exact}, o).Next
	if got := st.Durations["EXTEND"]; len(got) != 1 || got[0] != o.MaxFollow.Milliseconds() {
		t.Errorf("learned %v, want only the duration of max_follow (%d ms)", got, o.MaxFollow.Milliseconds())
	}
}

// A task the state says was created at an absurd time (a damaged state) is announced
// stuck, when dropped after max_follow, with a running time that saturates: never negative.
func TestStuckRunningTimeSaturates(t *testing.T) {
	o := stuckOpts(t0)
	prev := &ProjectState{Horizon: math.MinInt64, Tasks: TasksOf(map[string]TaskState{
		"z": {Status: "RUNNING", Created: math.MinInt64 / 2, Name: "EXTEND"},
	})}
	res := Diff(prev, []dcs.Task{task("z", "EXTEND", "RUNNING", time.UnixMilli(math.MinInt64/2))}, o)
	st := ofType(res.Events, event.TypeStuck)
	if len(st) != 1 || len(res.Abandoned) != 1 {
		t.Fatalf("events %v, abandoned %v: want one stuck event, then the task dropped", kinds(res.Events), res.Abandoned)
	}
	if want := int64(math.MaxInt64 / int64(time.Second)); st[0].Data.RunningSeconds != want {
		t.Errorf("running_seconds %d, want %d (saturated)", st[0].Data.RunningSeconds, want)
	}
}
