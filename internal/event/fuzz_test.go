package event

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

var (
	tokenRE   = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	subjectRE = regexp.MustCompile(`^dcs\.tasks(\.[A-Za-z0-9_-]+){3}$`)
)

// FuzzToken checks the subject-token sanitizer: its output is always one non-empty
// token of [A-Za-z0-9_-], a valid token passes unchanged, sanitizing twice changes
// nothing, and a subject built from any three values has exactly three tokens after
// the prefix.
func FuzzToken(f *testing.F) {
	for _, s := range []string{
		"", "masterStandbySwapJob", "SUCCESS", "a.b", "*", ">", "two words", "dcs-export_1",
		"é", "\xff", "a.*.>", "\x00\n\t", "0123456789abcdef0123456789abcdef", "..", "日本語", "\xed\xa0\x80",
	} {
		f.Add(s, s, s)
	}
	f.Fuzz(func(t *testing.T, project, name, status string) {
		for _, s := range []string{project, name, status} {
			got := Token(s)
			if !tokenRE.MatchString(got) {
				t.Fatalf("Token(%q) = %q is not a subject token", s, got)
			}
			if tokenRE.MatchString(s) && got != s {
				t.Fatalf("Token(%q) = %q changed a valid token", s, got)
			}
			if Token(got) != got {
				t.Fatalf("Token is not idempotent on %q", s)
			}
			if s != "" && utf8.ValidString(s) && len(got) != utf8.RuneCountInString(s) {
				t.Fatalf("Token(%q) = %q: want one character per input character", s, got)
			}
		}
		e := &Event{Data: Data{ProjectID: project, TaskName: name, Status: status}}
		if sub := Subject("dcs.tasks", e); !subjectRE.MatchString(sub) {
			t.Fatalf("Subject = %q", sub)
		}
	})
}

// FuzzNorm: the fast path of norm gives what upper-casing the trimmed status gives.
func FuzzNorm(f *testing.F) {
	for _, s := range []string{"SUCCESS", "success", " FAILED\n", "Running", "FAIL\u00a0", "ÉCHEC", "", "A_B-C1", "\x7f", "\tX"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := norm(s), strings.ToUpper(strings.TrimSpace(s)); got != want {
			t.Fatalf("norm(%q) = %q, want %q", s, got, want)
		}
	})
}
