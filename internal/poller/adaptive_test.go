package poller

import (
	"testing"
	"time"

	"notifier/internal/diff"
)

func TestLearnerPollsFastAroundExpectedEnd(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	o := diff.Options{Policy: diff.Policy{Terminal: map[string]bool{"SUCCESS": true}}}
	// The committed state: four finished EXTENDs took 9, 10, 11 and 10 seconds.
	state := func(started time.Duration) *diff.ProjectState {
		return &diff.ProjectState{
			Tasks:     diff.TasksOf(map[string]diff.TaskState{"r": {Status: "RUNNING", Name: "EXTEND", Created: now.Add(-started).UnixMilli()}}),
			Durations: map[string][]int64{"EXTEND": {9000, 10000, 11000, 10000}},
		}
	}
	tests := []struct {
		name    string
		started time.Duration // before now
		want    time.Duration
		ok      bool
	}{
		{name: "just started: wait until the window opens", started: time.Second, want: 7 * time.Second, ok: true}, // window opens at 10s - 2 sd(1s)
		{name: "window beyond the regular wait", started: 0, want: 8 * time.Second, ok: true},
		{name: "inside the window: fast", started: 10 * time.Second, want: 250 * time.Millisecond, ok: true},
		{name: "overran: regular interval", started: time.Minute, want: 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l learner
			l.observe(state(tt.started), &o)
			got, ok := l.wait(now, 30*time.Second, 250*time.Millisecond)
			if ok != tt.ok || (ok && (got < tt.want-500*time.Millisecond || got > tt.want+500*time.Millisecond)) || (!ok && got != 30*time.Second) {
				t.Errorf("wait = %v, %v; want about %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	// A fast interval above the regular wait never makes a poll come later.
	var l learner
	l.observe(state(10*time.Second), &o)
	if got, ok := l.wait(now, 200*time.Millisecond, time.Second); ok || got > 200*time.Millisecond {
		t.Errorf("fast 1s, regular 200ms: wait = %v, %v; want the regular 200ms", got, ok)
	}
	// Too few samples: nothing learned.
	few := state(10 * time.Second)
	few.Durations["EXTEND"] = few.Durations["EXTEND"][:minSamples-1]
	l.observe(few, &o)
	if _, ok := l.wait(now, 30*time.Second, 250*time.Millisecond); ok {
		t.Error("fewer than minSamples durations made a fast wait")
	}
}
