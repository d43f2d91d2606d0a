package main

import (
	"strings"
	"testing"

	"notifier/internal/testkit/oncalltest"
)

const onCallConfig = `
[[dcs.projects]]
region = "cn-north-4"
project_id = "0123456789abcdef0123456789abcdef"

[nats]
url = ""

[[pagerduty]]
name = "pd-dcs"
routing_key_env = "NOTIFIER_TEST_PD_KEY"
url = "PDURL"

[[alertmanager]]
name = "am"
url = "AMURL"
`

// routes says that an on-call receiver gets a success below its min_severity because
// it may resolve an incident, and test-notification drills both kinds.
func TestOnCallReceiversRouteAndDrill(t *testing.T) {
	pd, am := oncalltest.NewPagerDuty(t), oncalltest.NewAlertmanager(t, "")
	cfg := strings.NewReplacer("PDURL", pd.URL(), "AMURL", am.URL()).Replace(onCallConfig)
	path := writeFile(t, t.TempDir(), "c.toml", cfg)
	t.Setenv("NOTIFIER_TEST_PD_KEY", oncalltest.RoutingKey)
	t.Setenv("CLOUD_SDK_AK", "AK")
	t.Setenv("CLOUD_SDK_SK", "SK")

	for args, want := range map[string]string{
		"EXTEND SUCCESS": "pd-dcs: receives (may resolve an incident it opened; opens none: min_severity critical > info)\n" +
			"am: receives (may resolve an incident it opened; opens none: min_severity warning > info)\n",
		"EXTEND RUNNING": "pd-dcs: skipped, min_severity critical > info\nam: skipped, min_severity warning > info\n",
		"EXTEND FAILED":  "pd-dcs: receives\nam: receives\n",
	} {
		f := strings.Fields(args)
		code, stdout, stderr := cli(t, "routes", "--config", path, "--task-name", f[0], "--status", f[1])
		if code != exitOK || !strings.HasSuffix(stdout, want) {
			t.Errorf("routes %s: exit %d\n%s\nwant it to end with:\n%s\nstderr: %s", args, code, stdout, want, stderr)
		}
	}

	code, stdout, stderr := cli(t, "test-notification", "--config", path)
	if code != exitOK || !strings.HasSuffix(stdout, "pd-dcs: ok\nam: ok\n") {
		t.Fatalf("test-notification: exit %d\n%s\nstderr: %s", code, stdout, stderr)
	}
	if evs := pd.Events(); len(evs) != 2 || evs[0].EventAction != "trigger" || evs[1].EventAction != "resolve" {
		t.Errorf("PagerDuty got %+v, want a trigger and its resolve", evs)
	}
	if n, last := am.Posted(); n != 1 || last[0].Labels["alertname"] != "DCSNotifierTest" {
		t.Errorf("Alertmanager got %d posts, last %+v", n, last)
	}

	code, _, stderr = cli(t, "check-config", "--config", path)
	if code != exitOK {
		t.Errorf("check-config: exit %d: %s", code, stderr)
	}
	t.Setenv("NOTIFIER_TEST_PD_KEY", "")
	code, _, stderr = cli(t, "check-config", "--config", path)
	if code != exitUsage || !strings.Contains(stderr, "pagerduty[0].routing_key_env: ") {
		t.Errorf("check-config without the routing key: exit %d: %s", code, stderr)
	}
}
