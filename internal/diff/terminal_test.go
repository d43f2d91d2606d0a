package diff

import (
	"testing"
	"time"

	"notifier/internal/dcs"
	"notifier/internal/event"
)

// TestConfiguredTerminalStatusEndsTask: a status added to poll.terminal_statuses (ABORTED)
// ends the task for the diff, the same Statuses that make a receiver show it finished.
// Without it, ABORTED is a running status and the task keeps the window open.
func TestConfiguredTerminalStatusEndsTask(t *testing.T) {
	longAgo := t0.Add(-72 * time.Hour)
	for _, tt := range []struct {
		name     string
		terminal []string
		active   bool
	}{
		{"configured", append(event.DefaultTerminal(), "ABORTED"), false},
		{"not configured", event.DefaultTerminal(), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := opts(t0)
			o.Lookback = 100 * time.Hour
			o.Terminal = event.NewStatuses(tt.terminal)
			prev := Diff(nil, []dcs.Task{task("a", "EXTEND", "RUNNING", longAgo)}, o).Next
			res := Diff(prev, []dcs.Task{task("a", "EXTEND", "ABORTED", longAgo)}, o)
			if got := kinds(res.Events); len(got) != 1 || got[0] != "a:RUNNING>ABORTED" {
				t.Fatalf("events %v, want the change to ABORTED", got)
			}
			if got := Active(res.Next, o); got != tt.active {
				t.Errorf("Active = %v, want %v", got, tt.active)
			}
			if got := o.Terminal.Outcome("ABORTED") != event.OutcomeRunning; got == tt.active {
				t.Errorf("a receiver shows ABORTED finished = %v while the diff follows it = %v", got, tt.active)
			}
		})
	}
}
