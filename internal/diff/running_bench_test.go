package diff

import (
	"fmt"
	"testing"
	"time"

	"notifier/internal/dcs"
)

// BenchmarkDiffRunning10k is every poll while a burst of 10,000 tasks runs (one a second
// at active_interval): nothing changed, and each running task is checked against its
// name's stuck threshold, learned from 100 finished durations.
func BenchmarkDiffRunning10k(b *testing.B) {
	o := stuckOpts(t0)
	tasks := make([]dcs.Task, 10_000)
	for i := range tasks {
		tasks[i] = task(fmt.Sprintf("%032x", i+1), "EXTEND", "RUNNING", t0.Add(-time.Duration(i+1)*time.Millisecond))
	}
	prev := Diff(nil, tasks, o).Next
	prev.Durations = map[string][]int64{"EXTEND": make([]int64, MaxDurations)}
	for i := range prev.Durations["EXTEND"] {
		prev.Durations["EXTEND"][i] = int64(60_000 + i*1000)
	}
	prev.LearnedAt = map[string]int64{"EXTEND": t0.Unix()}
	b.ReportAllocs()
	for b.Loop() {
		if res := Diff(prev, tasks, o); len(res.Events) != 0 || res.Changed {
			b.Fatalf("an unchanged poll of running tasks: %d events, changed %v", len(res.Events), res.Changed)
		}
	}
}
