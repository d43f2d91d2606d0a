package metrics_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"notifier/internal/metrics"
)

const infoHeader = `
# HELP notifier_project_info Always 1, one series per watched project (configured or discovered): project_name is its name (its id when it has none), discovered_by the [[dcs.discover]] entry that found it ("" when configured). Join on project to name a project: * on (project) group_left (project_name) notifier_project_info.
# TYPE notifier_project_info gauge
`

// notifier_project_info names every watched project, configured or discovered, and
// follows reloads: a project no longer watched loses its series, a renamed one keeps a
// single series under its new name, so a join on project never finds two.
func TestProjectInfoFollowsTheWatchedProjects(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "test")
	const a, b, c = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210", "00000000000000000000000000000001"
	m.SetProjects([]metrics.ProjectInfo{
		{ID: a, Name: "prod-eu", Region: "eu-west-101"},
		{ID: b, Name: "acct-b/cn-north-4", Region: "cn-north-4", DiscoveredBy: "dcs.discover[0]"},
		{ID: c, Region: "cn-north-4"},
	})
	check := func(when, series string) {
		t.Helper()
		if err := testutil.GatherAndCompare(reg, strings.NewReader(infoHeader+series), "notifier_project_info"); err != nil {
			t.Errorf("%s: %v", when, err)
		}
	}
	check("at the start", `
notifier_project_info{discovered_by="",project="`+a+`",project_name="prod-eu",region="eu-west-101"} 1
notifier_project_info{discovered_by="dcs.discover[0]",project="`+b+`",project_name="acct-b/cn-north-4",region="cn-north-4"} 1
notifier_project_info{discovered_by="",project="`+c+`",project_name="`+c+`",region="cn-north-4"} 1
`)

	// A reload renames a, and discovery no longer finds b.
	m.SetProjects([]metrics.ProjectInfo{
		{ID: a, Name: "prod-eu-1", Region: "eu-west-101"},
		{ID: c, Region: "cn-north-4"},
	})
	check("after the reload", `
notifier_project_info{discovered_by="",project="`+a+`",project_name="prod-eu-1",region="eu-west-101"} 1
notifier_project_info{discovered_by="",project="`+c+`",project_name="`+c+`",region="cn-north-4"} 1
`)

	m.SetProjects(nil)
	if n := testutil.CollectAndCount(reg, "notifier_project_info"); n != 0 {
		t.Errorf("no project watched: %d series of notifier_project_info, want none", n)
	}
}
