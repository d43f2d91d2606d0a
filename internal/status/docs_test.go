package status

import (
	"encoding/json"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// docs/operations.md documents the JSON shape: every key the page has is there, and nothing else.
func TestDocsDocumentTheJSONShape(t *testing.T) {
	ops, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(ops), "## Status page")
	_, block, ok2 := strings.Cut(sec, "```jsonc\n")
	block, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal(`docs/operations.md: no jsonc block in "## Status page"`)
	}
	key := regexp.MustCompile(`"([a-z_]+)":`)
	keys := func(s string) []string {
		set := map[string]bool{}
		for _, m := range key.FindAllStringSubmatch(s, -1) {
			set[m[1]] = true
		}
		return slices.Sorted(maps.Keys(set))
	}
	p := fullPage()
	p.RecentEvents[0].Deliveries[0].Reason = "x" // every optional field set
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if doc, have := keys(block), keys(string(b)); !slices.Equal(doc, have) {
		t.Errorf("docs/operations.md documents keys %v\nthe page has %v", doc, have)
	}
}
