package event

import (
	"strings"
	"unicode/utf8"
)

// Token makes s safe as one NATS subject token: every character outside [A-Za-z0-9_-]
// becomes '_' (one per character, invalid UTF-8 one per byte), and the empty string becomes "_". Dots, wildcards and whitespace can therefore never
// change the shape of a subject.
func Token(s string) string {
	if s == "" {
		return "_"
	}
	ok := true
	for i := 0; i < len(s); i++ {
		if !tokenByte(s[i]) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r < utf8.RuneSelf && tokenByte(byte(r)) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func tokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// Subject returns {prefix}.{project_id}.{task_name}.{status} with every part after the
// prefix passed through Token; {task_name}.STUCK for a stuck task, and _watch.gap or
// _watch.restored for a project's blind spots; {prefix}._notifier.test, with no project,
// for a test event (TypeTest).
func Subject(prefix string, e *Event) string {
	if e.IsTest() {
		return prefix + "." + TestSubjectSuffix
	}
	var b strings.Builder
	b.Grow(len(prefix) + len(e.Data.ProjectID) + len(e.Data.TaskName) + len(e.Data.Status) + 3)
	b.WriteString(prefix)
	tokens := []string{e.Data.ProjectID, e.Data.TaskName, e.Data.Status}
	switch e.Type {
	case TypeStuck:
		tokens[2] = "STUCK"
	case TypeGap:
		tokens[1], tokens[2] = "_watch", "gap"
	case TypeRestored:
		tokens[1], tokens[2] = "_watch", "restored"
	}
	for _, s := range tokens {
		b.WriteByte('.')
		b.WriteString(Token(s))
	}
	return b.String()
}
