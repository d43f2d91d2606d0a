package event

import "testing"

// TestStatusesFollowTheConfiguredTerminalSet: a status the operator adds to
// poll.terminal_statuses is terminal and shown as ended, not running; a failure status
// left out of it is running, as the poller still follows the task.
func TestStatusesFollowTheConfiguredTerminalSet(t *testing.T) {
	def := DefaultStatuses()
	aborted := NewStatuses(append(DefaultTerminal(), "aborted "))
	onlySuccess := NewStatuses([]string{"SUCCESS"})
	tests := []struct {
		name     string
		s        Statuses
		status   string
		terminal bool
		known    bool
		outcome  Outcome
	}{
		{"success", def, "SUCCESS", true, true, OutcomeSucceeded},
		{"failed", def, "FAILED", true, true, OutcomeFailed},
		{"fail of the jobs API", def, "FAIL", true, true, OutcomeFailed},
		{"cancelled", def, "CANCELLED", true, true, OutcomeEnded},
		{"deleted, any case", def, " deleted", true, true, OutcomeEnded},
		{"running", def, "RUNNING", false, true, OutcomeRunning},
		{"created", def, "CREATED", false, true, OutcomeRunning},
		{"empty", def, "", false, false, OutcomeRunning},
		{"aborted by default", def, "ABORTED", false, false, OutcomeRunning},
		{"aborted configured", aborted, "ABORTED", true, true, OutcomeEnded},
		{"failed not configured", onlySuccess, "FAILED", false, false, OutcomeRunning},
		{"nil classifier", nil, "SUCCESS", false, false, OutcomeRunning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.IsTerminal(tt.status); got != tt.terminal {
				t.Errorf("IsTerminal(%q) = %v, want %v", tt.status, got, tt.terminal)
			}
			if got := tt.s.Known(tt.status); got != tt.known {
				t.Errorf("Known(%q) = %v, want %v", tt.status, got, tt.known)
			}
			if got := tt.s.Outcome(tt.status); got != tt.outcome {
				t.Errorf("Outcome(%q) = %v, want %v", tt.status, got, tt.outcome)
			}
		})
	}
}

// TestDefaultTerminalIsFresh: callers may change the slice they get.
func TestDefaultTerminalIsFresh(t *testing.T) {
	a := DefaultTerminal()
	a[0] = "changed"
	if DefaultTerminal()[0] != "SUCCESS" {
		t.Fatal("DefaultTerminal shares its slice")
	}
}

// TestIsTerminalDoesNotAllocate: the diff asks it for every task of every poll.
func TestIsTerminalDoesNotAllocate(t *testing.T) {
	s := DefaultStatuses()
	if n := testing.AllocsPerRun(100, func() { s.IsTerminal("RUNNING") }); n != 0 {
		t.Errorf("IsTerminal allocates %v times", n)
	}
}
