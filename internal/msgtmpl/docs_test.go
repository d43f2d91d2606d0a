package msgtmpl_test

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"notifier/internal/msgtmpl"
)

// docs/templates.md documents every field of the data and every function, and nothing
// that is not one.
func TestDocsDocumentTheDataAndTheFunctions(t *testing.T) {
	b, err := os.ReadFile("../../docs/templates.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	_, data, _ := strings.Cut(doc, "\n## Data\n")
	data, _, _ = strings.Cut(data, "\n## ")
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| (`\\.[A-Za-z]+`(?:, `\\.[A-Za-z]+`)*) \\|").FindAllStringSubmatch(data, -1) {
		for _, f := range strings.Split(m[1], ", ") {
			documented[strings.Trim(f, "`.")] = true
		}
	}
	typ := reflect.TypeFor[msgtmpl.Data]()
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		if !documented[name] {
			t.Errorf("docs/templates.md's data table lacks .%s", name)
		}
		delete(documented, name)
	}
	for name := range documented {
		t.Errorf("docs/templates.md documents .%s, which the data does not have", name)
	}
	_, funcs, _ := strings.Cut(doc, "\n## Functions\n")
	funcs, _, _ = strings.Cut(funcs, "\n## ")
	for _, f := range []string{"upper", "lower", "title", "join", "default", "truncate", "since", "date", "json", "mention"} {
		if !strings.Contains(funcs, "`"+f+"`") {
			t.Errorf("docs/templates.md does not document the function %s", f)
		}
		if _, err := msgtmpl.Parse("x", "{{if false}}{{"+f+"}}{{end}}x", msgtmpl.Style{Parts: []string{"a"}}); err != nil {
			t.Errorf("the function %s is documented but not defined: %v", f, err)
		}
	}
}
