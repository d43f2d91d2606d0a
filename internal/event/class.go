package event

import "slices"

// The event types a receiver's event_types names: each CloudEvents type belongs to one.
const (
	ClassTask  = "task"  // TypeCreated, TypeStatusChanged: a task seen or changed
	ClassStuck = "stuck" // TypeStuck: a task running past its threshold
	ClassGap   = "gap"   // TypeGap, TypeRestored: a project not read, and read again
	ClassTest  = "test"  // TypeTest: notifier test-notification
)

// Classes returns the event types event_types may name, in the order of the docs. The
// slice is new on every call.
func Classes() []string { return []string{ClassTask, ClassStuck, ClassGap, ClassTest} }

// ClassOf returns the event type (ClassTask, ...) of a CloudEvents type, or "" for a type
// this version does not know.
func ClassOf(typ string) string {
	switch typ {
	case TypeCreated, TypeStatusChanged:
		return ClassTask
	case TypeStuck:
		return ClassStuck
	case TypeGap, TypeRestored:
		return ClassGap
	case TypeTest:
		return ClassTest
	}
	return ""
}

// KnownStatuses returns the statuses the notifier expects a task to have: those the API
// is known to use for a running task and the terminal ones given (poll.terminal_statuses),
// sorted, for suggestions ("did you mean").
func KnownStatuses(terminal []string) []string {
	var out []string
	for s := range knownRunning {
		out = append(out, s)
	}
	for _, s := range terminal {
		if n := norm(s); !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}
