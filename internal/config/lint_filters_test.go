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

// With [[dcs.discover]], a project name not in dcs.projects loads (a discovered project
// is known only at run time) and is a warning, for a receiver and a window alike.
func TestLintProjectNamesOnlyADiscoveryMayGive(t *testing.T) {
	c, err := Load([]byte(`
[[dcs.projects]]
region = "cn-north-4"
project_id = "0123456789abcdef0123456789abcdef"
name = "prod-cn"

[[dcs.discover]]
regions = ["*"]

[[slack.webhooks]]
name = "hook"
url_env = "HOOK"
projects = ["prod-cn", "prod-nc", "fedcba9876543210fedcba9876543210"]

[[mute]]
name = "m"
start = "01:00"
end = "02:00"
projects = ["cn-east-3"]
`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range c.Lint() {
		got = append(got, w.String())
	}
	want := []string{
		`slack.webhooks[0].projects[1]: "prod-nc" is not the name of a project in dcs.projects: it matches only a project [[dcs.discover]] finds with that name (discovered projects are named the IAM project name, such as "cn-north-4"); did you mean "prod-cn"?`,
		`mute[0].projects[0]: "cn-east-3" is not the name of a project in dcs.projects: it matches only a project [[dcs.discover]] finds with that name (discovered projects are named the IAM project name, such as "cn-north-4")`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
