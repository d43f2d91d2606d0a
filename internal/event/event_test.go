package event

import (
	"regexp"
	"testing"
)

func TestToken(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "_"},
		{"masterStandbySwapJob", "masterStandbySwapJob"},
		{"SUCCESS", "SUCCESS"},
		{"a.b", "a_b"},
		{"*", "_"},
		{">", "_"},
		{"two words", "two_words"},
		{"dcs-export_1", "dcs-export_1"},
		{"é", "_"},
		{"\xff", "_"},
	}
	for _, tt := range tests {
		if got := Token(tt.in); got != tt.want {
			t.Errorf("Token(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSubject(t *testing.T) {
	e := &Event{Data: Data{ProjectID: "0123abc", TaskName: "UpdatePort", Status: "RUN.NING >"}}
	if got, want := Subject("dcs.tasks", e), "dcs.tasks.0123abc.UpdatePort.RUN_NING__"; got != want {
		t.Errorf("Subject = %q, want %q", got, want)
	}
	e.Data.TaskName = ""
	if got := Subject("x", e); !regexp.MustCompile(`^x(\.[A-Za-z0-9_-]+){3}$`).MatchString(got) {
		t.Errorf("Subject = %q has an empty token", got)
	}
}

func TestSeverityOf(t *testing.T) {
	tests := []struct {
		name, status string
		want         Severity
	}{
		{"EXTEND", "FAILED", Critical},
		{"EXTEND", "FAIL", Critical},
		{SwitchoverTask, "FAILED", Critical},
		{SwitchoverTask, "SUCCESS", Warning},
		{SwitchoverTask, "RUNNING", Warning},
		{"EXTEND", "SUCCESS", Info},
		{"Whatever", "ODD", Info},
	}
	for _, tt := range tests {
		if got := SeverityOf(tt.name, tt.status); got != tt.want {
			t.Errorf("SeverityOf(%s, %s) = %s, want %s", tt.name, tt.status, got, tt.want)
		}
	}
}

func TestIDDependsOnEveryPart(t *testing.T) {
	base := ID("p", "t", 1, "RUNNING", "SUCCESS")
	for name, id := range map[string]string{
		"project":  ID("q", "t", 1, "RUNNING", "SUCCESS"),
		"task":     ID("p", "u", 1, "RUNNING", "SUCCESS"),
		"seq":      ID("p", "t", 2, "RUNNING", "SUCCESS"),
		"previous": ID("p", "t", 1, "", "SUCCESS"),
		"status":   ID("p", "t", 1, "RUNNING", "FAILED"),
		"boundary": ID("pt", "", 1, "RUNNING", "SUCCESS"),
	} {
		if id == base {
			t.Errorf("changing the %s does not change the id", name)
		}
	}
	if ID("p", "t", 1, "RUNNING", "SUCCESS") != base {
		t.Error("same transition, different id")
	}
}
