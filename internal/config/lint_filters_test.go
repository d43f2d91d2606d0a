package config

import (
	"strings"
	"testing"
)

// A glob or event_types listing stuck or gap does not make min_severity look unreachable:
// a glob may match the switchover, and a stuck switchover or an escalated gap is critical
// whatever statuses say.
func TestLintSeverityWithGlobsAndEventTypes(t *testing.T) {
	base := `
[[dcs.projects]]
region = "cn-north-4"
project_id = "0123456789abcdef0123456789abcdef"

[[slack.webhooks]]
name = "hook"
url_env = "HOOK"
`
	for _, tt := range []struct {
		filter string
		warn   bool
	}{
		{"min_severity = \"warning\"\nstatuses = [\"SUCCESS\"]\ntask_names = [\"EXTEND\"]\n", true},
		{"min_severity = \"warning\"\nstatuses = [\"SUCCESS\"]\ntask_names = [\"master*\"]\n", false},
		{"min_severity = \"critical\"\nstatuses = [\"SUCCESS\"]\nevent_types = [\"task\", \"gap\"]\n", false},
		{"min_severity = \"critical\"\nstatuses = [\"SUCCESS\"]\nevent_types = [\"task\"]\n", true},
	} {
		c, err := Load([]byte(base + tt.filter))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, w := range c.Lint() {
			if strings.Contains(w.Message, "gets nothing") {
				got = append(got, w.String())
			}
		}
		if (len(got) > 0) != tt.warn {
			t.Errorf("%s: warnings %q, want one: %v", tt.filter, got, tt.warn)
		}
	}
}
