package receiver

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"notifier/internal/confkit"
	"notifier/internal/event"
)

type testConfig struct {
	Common
	URL string `toml:"url"`
}

func testSpec() *Spec[testConfig] {
	return &Spec[testConfig]{
		Info:   Info{Kind: "test", Key: "tests", Help: "a test kind", MinSeverity: "warning", Example: "name = \"t\"\n"},
		Common: func(c *testConfig) *Common { return &c.Common },
		Defaults: func(c *testConfig, written func(string) bool) {
			if !written("url") {
				c.URL = "http://default"
			}
		},
		Validate: func(c *testConfig, key string, p *confkit.Problems) {
			if c.URL == "" {
				p.Add(key+".url", "must be set")
			}
		},
		Open: func(*testConfig, string, Deps) (Opened, error) { return Opened{}, errors.New("not here") },
		Render: func(context.Context, *testConfig, string, Deps, []event.Event) (Rendering, error) {
			return Rendering{}, nil
		},
	}
}

// Missing names what a Spec lacks, so that the test over the one list of kinds
// (config's) fails for a kind registered half-done.
func TestMissing(t *testing.T) {
	var entries []testConfig
	if got := List(&Spec[testConfig]{}, &entries).Missing(); !slices.Contains(got, "Open") || !slices.Contains(got, "Help") {
		t.Errorf("an empty Spec misses %v", got)
	}
	if got := List(testSpec(), &entries).Missing(); len(got) != 0 {
		t.Errorf("a complete Spec misses %v", got)
	}
	var one testConfig
	if got := Table(testSpec(), &one).Missing(); len(got) != 1 || !strings.HasPrefix(got[0], "Name") {
		t.Errorf("a table kind without its reserved name misses %v", got)
	}
}

// An entry is keyed by its position, gets the common defaults and the kind's, and is
// validated by the kind, then for what every kind shares.
func TestEntries(t *testing.T) {
	entries := []testConfig{{Common: Common{Name: "a", Projects: []string{"0123456789ABCDEF0123456789ABCDEF", "Prod-CN"}}}, {Common: Common{Name: "b", MaxPending: 0}, URL: ""}}
	es := List(testSpec(), &entries).Entries()
	if len(es) != 2 || es[0].Key() != "tests[0]" || es[1].Key() != "tests[1]" {
		t.Fatalf("keys %v", es)
	}
	written := map[string]bool{"tests[1].max_pending": true, "tests[1].url": true}
	for _, e := range es {
		e.Defaults(func(k string) bool { return written[k] })
	}
	if a := entries[0]; a.MinSeverity != "warning" || a.MaxPending != DefaultMaxPending || a.URL != "http://default" || a.Projects[0] != "0123456789abcdef0123456789abcdef" || a.Projects[1] != "Prod-CN" {
		t.Errorf("defaults of an entry that writes nothing: %+v", a)
	}
	if b := entries[1]; b.MaxPending != 0 || b.URL != "" {
		t.Errorf("a written 0 or \"\" was replaced: %+v", b)
	}
	var p confkit.Problems
	es[1].Validate(&p, nil)
	want := []string{"tests[1].url: must be set", "tests[1].max_pending: must be at least 1, got 0"}
	if got := strings.Split(errors.Join(p...).Error(), "\n"); !slices.Equal(got, want) {
		t.Errorf("problems %q, want %q", got, want)
	}
}
