package event

import "fmt"

// Severity ranks how urgently a human should look at an event.
type Severity string

// The severities, from least to most urgent.
const (
	Info     Severity = "info"
	Warning  Severity = "warning"
	Critical Severity = "critical"
)

// Rank orders severities: info 0, warning 1, critical 2; unknown values rank as info.
func (s Severity) Rank() int {
	switch s {
	case Critical:
		return 2
	case Warning:
		return 1
	default:
		return 0
	}
}

// ParseSeverity accepts info, warning or critical.
func ParseSeverity(s string) (Severity, error) {
	switch Severity(s) {
	case Info, Warning, Critical:
		return Severity(s), nil
	}
	return "", fmt.Errorf("unknown severity %q (want info, warning or critical)", s)
}

// SeverityOf rates a task in a status: any failure is critical, a switchover in any other
// status is a warning, everything else is info.
func SeverityOf(taskName, status string) Severity {
	switch {
	case IsFailure(status):
		return Critical
	case taskName == SwitchoverTask:
		return Warning
	default:
		return Info
	}
}
