package app_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/metrics"
	"notifier/internal/testkit/testutil"
)

// notifier_project_info names every project watched, configured or discovered (with the
// entry that found it), so that alerts and panels can say a name rather than an id; a
// project no longer watched after a rebuild on the same metrics (a reload) loses it.
func TestProjectInfoNamesConfiguredAndDiscoveredProjects(t *testing.T) {
	sim, url := fleetSim(t, dcssim.Options{})
	sim.AddProjectFor(fleetAKB, fleetP1, "cn-north-4")
	sim.AddProjectFor(fleetAKB, fleetP2, "ap-southeast-1")
	cfg, deps, _ := fleetConfig(t, nil)
	cfg.DCS.Projects = []config.Project{{Name: "explicit", Region: "cn-east-3", ProjectID: fleetP3, Endpoint: url}}
	cfg.DCS.Discover = []config.Discover{{Name: "acct-b", Regions: []string{"*"}, AKEnv: "B_AK", SKEnv: "B_SK",
		IAMEndpoint: url, Endpoint: url, Refresh: config.DefaultDiscoverRefresh}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	deps.DryRun = true
	deps.Registry = prometheus.NewRegistry()
	deps.Metrics = metrics.New(deps.Registry, "test")
	info := func(project, name, region, by string) (float64, bool) {
		return testutil.Series(t, deps.Registry, "notifier_project_info",
			map[string]string{"project": project, "project_name": name, "region": region, "discovered_by": by})
	}

	a, err := app.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	for _, want := range [][4]string{
		{fleetP3, "explicit", "cn-east-3", ""},
		{fleetP1, "acct-b/cn-north-4", "cn-north-4", "dcs.discover[0]"},
		{fleetP2, "acct-b/ap-southeast-1", "ap-southeast-1", "dcs.discover[0]"},
	} {
		if v, ok := info(want[0], want[1], want[2], want[3]); !ok || v != 1 {
			t.Errorf("notifier_project_info%v = %g (exists %v), want 1", want, v, ok)
		}
	}

	cfg.DCS.Discover[0].Regions = []string{"cn-north-4"}
	a, err = app.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	if _, ok := info(fleetP2, "acct-b/ap-southeast-1", "ap-southeast-1", "dcs.discover[0]"); ok {
		t.Error("the project no longer watched still has its notifier_project_info")
	}
	if _, ok := info(fleetP1, "acct-b/cn-north-4", "cn-north-4", "dcs.discover[0]"); !ok {
		t.Error("the project still watched lost its notifier_project_info")
	}
}
