package poller

import (
	"testing"
	"time"

	"notifier/internal/dcs"
	"notifier/internal/diff"
)

func TestLearnerPollsFastAroundExpectedEnd(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	o := diff.Options{Policy: diff.Policy{Terminal: map[string]bool{"SUCCESS": true}}}
	var history []dcs.Task
	for i, d := range []time.Duration{9, 10, 11, 10} {
		c := now.Add(-time.Hour + time.Duration(i)*time.Minute)
		history = append(history, dcs.Task{ID: string(rune('a' + i)), Name: "EXTEND", Status: "SUCCESS", Created: c, Updated: c.Add(d * time.Second)})
	}
	tests := []struct {
		name    string
		started time.Duration // before now
		want    time.Duration
		ok      bool
	}{
		{name: "just started: wait until the window opens", started: time.Second, want: 7 * time.Second, ok: true} /* window opens at 10s - 2 sd(1s) */, {name: "window beyond the regular wait", started: 0, want: 8 * time.Second, ok: true},
		{name: "inside the window: fast", started: 10 * time.Second, want: 250 * time.Millisecond, ok: true},
		{name: "overran: regular interval", started: time.Minute, want: 30 * time.Second},
	}
	known := &diff.ProjectState{Tasks: map[string]diff.TaskState{}} // the history, committed
	for _, h := range history {
		known.Tasks[h.ID] = diff.TaskState{Status: "SUCCESS"}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l learner
			running := dcs.Task{ID: "r", Name: "EXTEND", Status: "RUNNING", Created: now.Add(-tt.started)}
			l.observe(nil, known, append(history, running), &o)
			got, ok := l.wait(now, 30*time.Second, 250*time.Millisecond)
			if ok != tt.ok || (ok && (got < tt.want-500*time.Millisecond || got > tt.want+500*time.Millisecond)) || (!ok && got != 30*time.Second) {
				t.Errorf("wait = %v, %v; want about %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	// A fast interval above the regular wait never makes a poll come later.
	{
		var l learner
		running := dcs.Task{ID: "r", Name: "EXTEND", Status: "RUNNING", Created: now.Add(-10 * time.Second)}
		l.observe(nil, known, append(history, running), &o)
		if got, ok := l.wait(now, 200*time.Millisecond, time.Second); ok || got > 200*time.Millisecond {
			t.Errorf("fast 1s, regular 200ms: wait = %v, %v; want the regular 200ms", got, ok)
		}
	}
	// A task known finished is not learned twice.
	var l learner
	l.observe(nil, known, history, &o)
	l.observe(known, known, history, &o)
	if n := l.byName["EXTEND"].n; n != 4 {
		t.Errorf("learned %d durations, want 4", n)
	}
}
