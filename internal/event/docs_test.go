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
