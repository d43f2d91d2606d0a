package event

import "strings"

// DefaultTerminal returns poll.terminal_statuses' default: the statuses after which a task
// of the task center no longer changes. The slice is new on every call.
func DefaultTerminal() []string {
	return []string{"SUCCESS", "FAILED", "FAIL", "CANCELLED", "DELETED"}
}

// knownRunning are the statuses the API is known to use for a task not yet finished.
var knownRunning = map[string]bool{"RUNNING": true, "EXECUTING": true, "CREATED": true, "WAITING": true, "INIT": true}

// Statuses is the one classifier of task statuses: the set of terminal statuses, built
// from poll.terminal_statuses by NewStatuses. The poller follows a task until its status
// is terminal, and a receiver shows a task as finished exactly when the poller stopped
// following it, so both ask the same Statuses. Keys are upper case; lookups ignore case
// and surrounding space. A nil Statuses has no terminal status.
type Statuses map[string]bool

// NewStatuses returns the classifier whose terminal statuses are terminal.
func NewStatuses(terminal []string) Statuses {
	s := make(Statuses, len(terminal))
	for _, t := range terminal {
		s[norm(t)] = true
	}
	return s
}

// DefaultStatuses returns the classifier of DefaultTerminal.
func DefaultStatuses() Statuses { return NewStatuses(DefaultTerminal()) }

// norm is the form statuses are compared in. It does not allocate for a status that is
// already upper case, as the API's are.
func norm(status string) string {
	// The API's statuses are already upper case without spaces: checked at every poll for
	// every task, they are returned as they are without a second pass.
	for i := range len(status) {
		if c := status[i]; c <= ' ' || c >= 'a' && c <= 'z' || c >= 0x80 {
			return strings.ToUpper(strings.TrimSpace(status))
		}
	}
	return status
}

// IsTerminal reports whether a task in status has finished and no longer changes.
func (s Statuses) IsTerminal(status string) bool { return s[norm(status)] }

// Known reports whether status is one the notifier expects: terminal, or a status the API
// is known to use for a running task. The poller logs the others once.
func (s Statuses) Known(status string) bool {
	n := norm(status)
	return s[n] || knownRunning[n]
}

// Outcome is what a status means for a person, ordered by how much it needs one, most first.
type Outcome int

// The outcomes of a task.
const (
	OutcomeFailed    Outcome = iota // finished in a failure status (FAILED, FAIL)
	OutcomeRunning                  // not finished: any status that is not terminal, unknown ones included
	OutcomeEnded                    // finished neither failed nor succeeded: CANCELLED, DELETED, ABORTED...
	OutcomeSucceeded                // finished in SUCCESS
)

// String returns "failed", "running", "ended" or "succeeded".
func (o Outcome) String() string {
	switch o {
	case OutcomeFailed:
		return "failed"
	case OutcomeRunning:
		return "running"
	case OutcomeEnded:
		return "ended"
	case OutcomeSucceeded:
		return "succeeded"
	}
	return "unknown"
}

// Outcome classifies status. A status that is not terminal is running whatever its
// name, as the poller still follows the task; a terminal one is a failure, a success, or
// otherwise ended.
func (s Statuses) Outcome(status string) Outcome {
	n := norm(status)
	switch {
	case !s[n]:
		return OutcomeRunning
	case IsFailure(n):
		return OutcomeFailed
	case n == "SUCCESS":
		return OutcomeSucceeded
	}
	return OutcomeEnded
}

// IsFailure reports whether a status names a failure, configured terminal or not: the task
// center says FAILED, the related jobs API says FAIL. Severity depends on it alone.
func IsFailure(status string) bool {
	return strings.EqualFold(status, "FAILED") || strings.EqualFold(status, "FAIL")
}
