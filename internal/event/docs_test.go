package event

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// docs/events.md documents every field the envelope and data carry, and every event type:
// a field or type added here and not there fails.
func TestEventsDocDocumentsEveryFieldAndType(t *testing.T) {
	doc, err := os.ReadFile("../../docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[Event](), reflect.TypeFor[Data]()} {
		for f := range typ.Fields() {
			name := strings.Split(f.Tag.Get("json"), ",")[0]
			if name == "" || name == "-" {
				continue
			}
			if !strings.Contains(string(doc), "`"+name+"`") {
				t.Errorf("docs/events.md does not document %s.%s (`%s`)", typ.Name(), f.Name, name)
			}
		}
	}
	for _, ty := range []string{TypeCreated, TypeStatusChanged, TypeStuck, TypeGap, TypeRestored, TypeTest} {
		if !strings.Contains(string(doc), "`"+ty+"`") {
			t.Errorf("docs/events.md does not document the type %s", ty)
		}
	}
}

// docs/events.md shows the one label table as it is: a row per known task name with its
// three tenses, and no other row.
func TestEventsDocShowsTheLabelTable(t *testing.T) {
	doc, err := os.ReadFile("../../docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]bool{}
	for _, n := range KnownTaskNames() {
		tn := TensesOf(n)
		row := "| `" + n + "` | " + tn.Running + " | " + tn.Succeeded + " | " + tn.Failed + " |"
		rows[row] = true
		if !strings.Contains(string(doc), row+"\n") {
			t.Errorf("docs/events.md lacks the row\n%s", row)
		}
	}
	_, table, ok := strings.Cut(string(doc), "| task name | running | succeeded | failed |\n|---|---|---|---|\n")
	if !ok {
		t.Fatal("docs/events.md has no label table")
	}
	for line := range strings.Lines(table) {
		if !strings.HasPrefix(line, "|") {
			break
		}
		if !rows[strings.TrimSuffix(line, "\n")] {
			t.Errorf("docs/events.md shows a label the code does not have: %s", line)
		}
	}
}
