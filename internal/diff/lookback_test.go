package diff

import (
	"fmt"
	"testing"
	"time"

	"notifier/internal/dcs"
)

// An unknown task created before now - lookback - margin is never announced, whatever the
// listing holds and whatever the state's horizon says: it is counted as history. Tasks
// inside the lookback are announced as before.
func TestUnknownTaskOlderThanLookbackIsNeverAnnounced(t *testing.T) {
	o := opts(t0)
	cutoff := t0.Add(-o.Lookback - o.Margin)
	tests := []struct {
		name    string
		created time.Time
		want    string // the event, "" for none
	}{
		{"a millisecond before the cutoff", cutoff.Add(-time.Millisecond), ""},
		{"days before the cutoff", cutoff.Add(-72 * time.Hour), ""},
		{"at the cutoff", cutoff, "x:created:FAILED"},
		{"inside the lookback", t0.Add(-time.Hour), "x:created:FAILED"},
		{"no creation time", time.Time{}, "x:created:FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The state is from a poll days ago: its horizon is far older than the cutoff.
			prev := Diff(nil, nil, opts(t0.Add(-5*24*time.Hour))).Next
			res := Diff(prev, []dcs.Task{task("x", "masterStandbySwapJob", "FAILED", tt.created)}, o)
			want := "[]"
			if tt.want != "" {
				want = "[" + tt.want + "]"
			}
			if got := fmt.Sprint(kinds(taskEvents(res.Events))); got != want { // the downtime's restored event aside
				t.Errorf("events %s, want %s", got, want)
			}
			if tt.want == "" && (res.History != 1 || res.Next.Tasks.Len() != 0) {
				t.Errorf("history %d, followed %v: an old task is counted and not followed", res.History, res.Next.Tasks)
			}
		})
	}
}

// A server that ignores the window lists the same finished tasks at every poll: they are
// forgotten once past the cutoff all the same, so the state stays bounded by the lookback.
func TestListedFinishedTasksArePrunedPastTheLookback(t *testing.T) {
	var all []dcs.Task
	var st *ProjectState
	now, events := t0, 0
	for day := range 10 {
		for i := range 50 {
			all = append(all, task(fmt.Sprintf("d%d-%d", day, i), "modify", "SUCCESS", now.Add(time.Duration(i)*time.Minute)))
		}
		for range 24 {
			res := Diff(st, all, opts(now)) // everything, every time
			events += len(res.Events)
			st = res.Next
			now = now.Add(time.Hour)
		}
	}
	if events != 9*50 {
		t.Errorf("%d events, want each task after the baseline announced once (450)", events)
	}
	if n := st.Tasks.Len(); n > 100 {
		t.Errorf("state keeps %d tasks after 10 days of 50 a day, want at most the lookback's", n)
	}
}
