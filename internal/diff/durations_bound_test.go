package diff

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"testing"
	"time"

	"notifier/internal/dcs"
)

// The state keeps learned durations per task name, MaxDurations at most per name, and a
// bounded set of names: an API whose task names vary (an id in the name, say, or a
// hostile one) must not make every project's state grow for ever, even once it follows
// no task at all: every commit rewrites it, and with nats-kv a state key above the
// server's max_payload would stop every commit of the project.
func TestLearnedDurationsKeepABoundedSetOfNames(t *testing.T) {
	var prev *ProjectState
	now := t0
	n := 0
	for round := range 50 {
		var tasks []dcs.Task
		for i := range 200 {
			n++
			tk := task(fmt.Sprintf("t-%d-%d", round, i), fmt.Sprintf("BackupJob-%d", n), "RUNNING", now.Add(-time.Minute))
			tasks = append(tasks, tk)
		}
		res := Diff(prev, tasks, opts(now)) // seen running
		prev = res.Next
		now = now.Add(time.Minute)
		for i := range tasks {
			tasks[i].Status, tasks[i].Updated = "SUCCESS", now
		}
		res = Diff(prev, tasks, opts(now)) // seen finished: a duration is learned per name
		prev = res.Next
		now = now.Add(25 * time.Hour) // the tasks leave the lookback
		prev = Diff(prev, nil, opts(now)).Next
	}
	b, _ := json.Marshal(prev)
	t.Logf("after %d finished tasks: %d tasks followed, %d task names in durations, state %d bytes", n, prev.Tasks.Len(), len(prev.Durations), len(b))
	if prev.Tasks.Len() == 0 && len(prev.Durations) > 1000 {
		t.Errorf("a state following no task keeps the durations of %d task names (%d bytes), and grows with every new name", len(prev.Durations), len(b))
	}
}

// learnOnce is a state that learned one duration of each name at now: each name's task
// seen running, then finished a minute later.
func learnOnce(t *testing.T, prev *ProjectState, now time.Time, names ...string) (*ProjectState, time.Time) {
	t.Helper()
	var tasks []dcs.Task
	for _, name := range names {
		tasks = append(tasks, task("t-"+name+now.Format(time.RFC3339), name, "RUNNING", now.Add(-time.Minute)))
	}
	prev = Diff(prev, tasks, opts(now)).Next
	now = now.Add(time.Minute)
	for i := range tasks {
		tasks[i].Status, tasks[i].Updated = "SUCCESS", now
	}
	return Diff(prev, tasks, opts(now)).Next, now
}

// A name no duration was learned of for DurationsTTL is forgotten at the next write of
// the state; one learned since is kept, with its time.
func TestLearnedDurationsExpire(t *testing.T) {
	st, now := learnOnce(t, nil, t0, "EXTEND")
	st, now = learnOnce(t, st, now.Add(20*24*time.Hour), "RESTART")
	if len(st.Durations) != 2 || len(st.LearnedAt) != 2 || st.LearnedAt["RESTART"] != now.Unix() {
		t.Fatalf("durations %v learned at %v, want EXTEND and RESTART, RESTART at %d", st.Durations, st.LearnedAt, now.Unix())
	}
	st = Diff(st, nil, opts(t0.Add(DurationsTTL+2*time.Minute))).Next // a write: the tasks left the lookback
	if _, ok := st.Durations["EXTEND"]; ok || len(st.Durations) != 1 || len(st.LearnedAt) != 1 {
		t.Errorf("after %v: durations %v learned at %v, want RESTART only", DurationsTTL, st.Durations, st.LearnedAt)
	}
}

// Beyond MaxDurationNames, the names learned least recently are dropped; a name learned
// again is recent. The previous state is never modified.
func TestLeastRecentlyLearnedNamesAreDroppedFirst(t *testing.T) {
	prev := &ProjectState{Tasks: &Tasks{}, Durations: map[string][]int64{}, LearnedAt: map[string]int64{}}
	for i := range MaxDurationNames {
		name := fmt.Sprintf("n%03d", i)
		prev.Durations[name] = []int64{60000}
		prev.LearnedAt[name] = t0.Add(time.Duration(i-MaxDurationNames) * time.Hour).Unix() // n000 oldest
	}
	keep := &ProjectState{Durations: maps.Clone(prev.Durations), LearnedAt: maps.Clone(prev.LearnedAt)}
	st, _ := learnOnce(t, prev, t0, "n000", "new")
	if len(st.Durations) != MaxDurationNames || len(st.LearnedAt) != MaxDurationNames {
		t.Fatalf("%d names (%d times), want %d", len(st.Durations), len(st.LearnedAt), MaxDurationNames)
	}
	for name, want := range map[string]bool{"n000": true, "new": true, "n001": false, "n002": true} {
		if _, ok := st.Durations[name]; ok != want {
			t.Errorf("%s kept: %v, want %v", name, ok, want)
		}
	}
	if !reflect.DeepEqual(prev.Durations, keep.Durations) || !reflect.DeepEqual(prev.LearnedAt, keep.LearnedAt) {
		t.Error("the diff modified the previous state's durations")
	}
}

// A state written before learned times were kept still loads: its names count as learned
// at the first write of the state (whose samples cannot be real are dropped then), and
// expire DurationsTTL after it.
func TestStateWithoutLearnedTimesLoads(t *testing.T) {
	old := `{"horizon":1,"tasks":{},"durations":{"EXTEND":[60000,-5,61000],"NEVER":[-1]},"last_ok":1}`
	var prev ProjectState
	if err := json.Unmarshal([]byte(old), &prev); err != nil {
		t.Fatal(err)
	}
	st := Diff(&prev, nil, opts(t0)).Next
	want := &ProjectState{Durations: map[string][]int64{"EXTEND": {60000, 61000}}, LearnedAt: map[string]int64{"EXTEND": t0.Unix()}}
	if !reflect.DeepEqual(st.Durations, want.Durations) || !reflect.DeepEqual(st.LearnedAt, want.LearnedAt) {
		t.Errorf("first write: durations %v learned at %v, want %v at %v", st.Durations, st.LearnedAt, want.Durations, want.LearnedAt)
	}
	if len(prev.Durations) != 2 || prev.LearnedAt != nil {
		t.Error("the diff modified the loaded state")
	}
	b, _ := json.Marshal(st)
	var back ProjectState
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back.LearnedAt, st.LearnedAt) {
		t.Errorf("learned times do not survive the state's JSON %s: %v", b, err)
	}
	if later := Diff(st, nil, opts(t0.Add(DurationsTTL+time.Second))).Next; len(later.Durations) != 0 || len(later.LearnedAt) != 0 {
		t.Errorf("after %v: durations %v learned at %v, want none", DurationsTTL, later.Durations, later.LearnedAt)
	}
}

// The samples a diff learned are kept in a slice of their own length, not in the larger
// array append grew: a fleet's states keep them for as long as nothing new is learned.
func TestLearnedSamplesKeepNoSpareCapacity(t *testing.T) {
	var tasks []dcs.Task
	for i := range 3 * MaxDurations {
		tk := task(fmt.Sprintf("t-%d", i), "BackupJob", "SUCCESS", t0.Add(-time.Hour))
		tk.Updated = t0.Add(-time.Hour + time.Duration(i)*time.Second)
		tasks = append(tasks, tk)
	}
	prev := Diff(nil, tasks, opts(t0)).Next // a baseline learns the finished tasks
	d := prev.Durations["BackupJob"]
	// slices.Clone rounds up to the allocator's size class: 100 int64s take 112.
	if len(d) != MaxDurations || cap(d) > MaxDurations+MaxDurations/8 {
		t.Errorf("samples len %d cap %d, want %d and at most %d", len(d), cap(d), MaxDurations, MaxDurations+MaxDurations/8)
	}
}
