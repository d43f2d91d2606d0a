package main

import (
	"strings"
	"testing"
)

// filtersBase has two named projects, the switchover pager, a Slack webhook for the
// prod-cn project's redis-prod-* instances, and one for replicas in cn-east-3.
const filtersBase = `
[[dcs.projects]]
region = "cn-north-4"
project_id = "0123456789abcdef0123456789abcdef"
name = "prod-cn"

[[dcs.projects]]
region = "cn-east-3"
project_id = "fedcba9876543210fedcba9876543210"
name = "stage"

[nats]
url = ""

[[pagerduty]]
name = "pd-switchover"
routing_key_env = "PD_KEY"
min_severity = "warning"
event_types = ["task", "stuck", "gap"]
task_names = ["masterStandbySwapJob"]
statuses = ["FAILED"]

[[slack.webhooks]]
name = "prod"
url_env = "HOOK"
projects = ["prod-cn"]
instances = ["redis-prod-*"]

[[slack.webhooks]]
name = "replicas"
url_env = "HOOK"
task_names = ["*Replica"]
regions = ["cn-east-3"]
`

const (
	first = "0123456789abcdef0123456789abcdef \"prod-cn\" (cn-north-4, the first of dcs.projects; --project picks another)"
	stage = "fedcba9876543210fedcba9876543210 \"stage\""
)

func TestRoutesExplainsEveryFilter(t *testing.T) {
	path := writeFile(t, t.TempDir(), "c.toml", filtersBase)
	tests := []struct {
		name string
		args []string
		want string // stdout, whole
	}{
		{
			name: "a failed switchover on a prod instance",
			args: []string{"--task-name", "masterStandbySwapJob", "--status", "FAILED", "--instance", "redis-prod-1"},
			want: "# masterStandbySwapJob FAILED: severity critical, project " + first + "\n" +
				"# instance name \"redis-prod-1\" (--instance takes an instance's id, a UUID, or its name)\n" +
				"prod: receives\n" +
				"replicas: skipped, task_names [*Replica] do not include \"masterStandbySwapJob\"\n" +
				"pd-switchover: receives\n",
		},
		{
			name: "a stuck switchover: statuses are not asked, instances are",
			args: []string{"--event-type", "stuck", "--task-name", "masterStandbySwapJob"},
			want: "# stuck masterStandbySwapJob RUNNING: severity critical, project " + first + "\n" +
				"prod: skipped, instances [redis-prod-*]: a stuck event names no instance\n" +
				"replicas: skipped, task_names [*Replica] do not include \"masterStandbySwapJob\"\n" +
				"pd-switchover: receives (statuses not asked of a stuck event: its event_types list stuck)\n",
		},
		{
			name: "a blind spot of a project named by its name",
			args: []string{"--event-type", "gap", "--project", "stage"},
			want: "# gap: severity warning, project " + stage + " (cn-east-3, dcs.projects[1])\n" +
				"# a blind spot is warning at poll.gap_after, critical once escalated (6 × poll.gap_after)\n" +
				"prod: skipped, projects [prod-cn] include neither fedcba9876543210fedcba9876543210 nor its name \"stage\"\n" +
				"replicas: skipped, task_names [*Replica]: a blind spot (gap) event has no task name " +
				"(a blind spot is about a project; with event_types listing gap, task filters are not asked of it)\n" +
				"pd-switchover: receives (task_names, statuses not asked of a blind spot: its event_types list gap)\n",
		},
		{
			name: "a replica added in a region: its first project",
			args: []string{"--task-name", "AddReplica", "--status", "SUCCESS", "--region", "cn-east-3"},
			want: "# AddReplica SUCCESS: severity info, project " + stage + " (cn-east-3, dcs.projects[1], the first in cn-east-3; --project picks another)\n" +
				"prod: skipped, projects [prod-cn] include neither fedcba9876543210fedcba9876543210 nor its name \"stage\"\n" +
				"replicas: receives\n" +
				"pd-switchover: receives (may resolve an incident it opened; opens none: min_severity warning > info)\n",
		},
		{
			name: "a replica added in another region, on an instance named by its id",
			args: []string{"--task-name", "DelReplica", "--status", "SUCCESS", "--project", "prod-cn", "--instance", "A1B2C3D4-0000-4000-8000-000000000001"},
			want: "# DelReplica SUCCESS: severity info, project 0123456789abcdef0123456789abcdef \"prod-cn\" (cn-north-4, dcs.projects[0])\n" +
				"# instance id A1B2C3D4-0000-4000-8000-000000000001 (--instance takes an instance's id, a UUID, or its name)\n" +
				"prod: skipped, instances [redis-prod-*] match neither instance id \"A1B2C3D4-0000-4000-8000-000000000001\" nor name \"\"\n" +
				"replicas: skipped, regions [cn-east-3] do not include \"cn-north-4\"\n" +
				"pd-switchover: receives (may resolve an incident it opened; opens none: min_severity warning > info)\n",
		},
		{
			name: "a test notification is asked event_types alone",
			args: []string{"--event-type", "test"},
			want: "# test: severity info, project " + first + "\n" +
				"prod: receives\nreplicas: receives\n" +
				"pd-switchover: skipped, event_types [gap stuck task] do not include test (com.huaweicloud.dcs.notifier.test)\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, append([]string{"routes", "--config", path}, tt.args...)...)
			if code != exitOK || stdout != tt.want {
				t.Errorf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr: %s", code, stdout, tt.want, stderr)
			}
		})
	}
}

// Suspect input is routed as given, with a note saying what it was likely meant to be.
func TestRoutesNotesMisspeltNames(t *testing.T) {
	path := writeFile(t, t.TempDir(), "c.toml", filtersBase)
	code, stdout, stderr := cli(t, "routes", "--config", path, "--task-name", "AddReplcia", "--status", "SUCESS")
	want := "# AddReplcia SUCESS: severity info, project " + first + "\n" +
		"# \"AddReplcia\" is not a task name the task center is known to use; did you mean \"AddReplica\"?\n" +
		"# \"SUCESS\" is not a status the task center is known to use; did you mean \"SUCCESS\"?\n"
	if code != exitOK || !strings.HasPrefix(stdout, want) {
		t.Errorf("exit %d\nstdout:\n%s\nwant it to start with:\n%s\nstderr: %s", code, stdout, want, stderr)
	}
}

func TestRoutesRefusesWithDidYouMean(t *testing.T) {
	path := writeFile(t, t.TempDir(), "c.toml", filtersBase)
	for _, tt := range []struct {
		args []string
		want string // stderr, whole
	}{
		{[]string{"--event-type", "stuk", "--task-name", "EXTEND"},
			"notifier routes: --event-type \"stuk\" is not one of task, stuck, gap, test; did you mean \"stuck\"?\n"},
		{[]string{"--task-name", "EXTEND", "--status", "FAILED", "--project", "prod-nc"},
			"notifier routes: --project \"prod-nc\" is neither the id nor the name of a project in dcs.projects " +
				"(configured: 0123456789abcdef0123456789abcdef (prod-cn), fedcba9876543210fedcba9876543210 (stage)); did you mean \"prod-cn\"?\n"},
		{[]string{"--task-name", "EXTEND", "--status", "FAILED", "--region", "cn-nrth-4"},
			"notifier routes: --region: unknown region \"cn-nrth-4\"; did you mean \"cn-north-4\"?\n"},
		{[]string{"--task-name", "EXTEND", "--status", "FAILED", "--region", "cn-north-4", "--project", "stage"},
			"notifier routes: --region cn-north-4: project stage is in cn-east-3\n"},
		{[]string{"--event-type", "gap", "--task-name", "EXTEND"},
			"notifier routes: --task-name: a gap event is about a project, not a task\n"},
		{[]string{"--event-type", "stuck"},
			"notifier routes: --task-name is required for a stuck event (--status defaults to RUNNING)\n"},
	} {
		code, stdout, stderr := cli(t, append([]string{"routes", "--config", path}, tt.args...)...)
		if code != exitUsage || stderr != tt.want || stdout != "" {
			t.Errorf("%q: exit %d\nstderr: %swant:   %sstdout: %s", tt.args, code, stderr, tt.want, stdout)
		}
	}
}

// A name [[dcs.discover]] may give is routed on; check-config --strict warns about it.
func TestRoutesToADiscoveredProjectByName(t *testing.T) {
	path := writeFile(t, t.TempDir(), "c.toml", `
[[dcs.discover]]
name = "acct-a"
regions = ["*"]

[nats]
url = ""

[[slack.webhooks]]
name = "acct-a-east"
url_env = "HOOK"
projects = ["acct-a/cn-east-3"]
`)
	code, stdout, stderr := cli(t, "routes", "--config", path, "--task-name", "EXTEND", "--status", "FAILED", "--project", "acct-a/cn-east-3", "--region", "cn-east-3")
	want := "# EXTEND FAILED: severity critical, project 00000000000000000000000000000000 \"acct-a/cn-east-3\" (cn-east-3, a project [[dcs.discover]] may find by that name)\n" +
		"acct-a-east: receives\n"
	if code != exitOK || stdout != want {
		t.Errorf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr: %s", code, stdout, want, stderr)
	}
	code, stdout, stderr = cli(t, "routes", "--config", path, "--task-name", "EXTEND", "--status", "FAILED", "--project", "acct-b/cn-east-3", "--region", "cn-east-3")
	if want := "acct-a-east: skipped, projects [acct-a/cn-east-3] include neither 00000000000000000000000000000000 nor its name \"acct-b/cn-east-3\"\n"; code != exitOK || !strings.HasSuffix(stdout, want) {
		t.Errorf("another name: exit %d\nstdout:\n%s\nwant it to end with:\n%s\nstderr: %s", code, stdout, want, stderr)
	}
	code, _, stderr = cli(t, "check-config", "--offline", "--config", path)
	warning := "notifier: " + path + ": warning: slack.webhooks[0].projects[0]: \"acct-a/cn-east-3\" is not the name of a project in dcs.projects: " +
		"it matches only a project [[dcs.discover]] finds with that name (discovered projects are named \"acct-a/<IAM project name>\")\n"
	if code != exitOK || stderr != warning {
		t.Errorf("check-config: exit %d\nstderr: %swant:   %s", code, stderr, warning)
	}
	if code, _, _ = cli(t, "check-config", "--offline", "--strict", "--config", path); code != exitUsage {
		t.Errorf("check-config --strict: exit %d, want %d", code, exitUsage)
	}
}

func TestCheckConfigExplainsFilters(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.toml", filtersBase+`
[[slack.webhooks]]
name = "typos"
url_env = "HOOK"
event_types = ["task", "stuk"]
regions = ["cn-nrth-4"]
projects = ["prod-nc"]
task_names = ["master["]

[[mute]]
name = "m"
receivers = ["prd"]
start = "01:00"
end = "02:00"
`)
	code, _, stderr := cli(t, "check-config", "--offline", "--config", bad)
	want := []string{
		`slack.webhooks[2].event_types[1]: unknown event type "stuk" (valid: task, stuck, gap, test); did you mean "stuck"?`,
		`slack.webhooks[2].task_names[0]: "master[" is not a valid glob (* any characters but /, ? one, [a-z] one of a class): syntax error in pattern`,
		`slack.webhooks[2].regions[0]: unknown region "cn-nrth-4"; did you mean "cn-north-4"?`,
		`slack.webhooks[2].projects[0]: unknown project "prod-nc": neither a project id nor the name of one in dcs.projects (names: prod-cn, stage); did you mean "prod-cn"?`,
		`mute[0].receivers[0]: unknown receiver "prd" (configured: pd-switchover, prod, replicas, typos); did you mean "prod"?`,
	}
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks\n%s\n%s", w, stderr)
		}
	}

	suspect := writeFile(t, dir, "suspect.toml", filtersBase+`
[[slack.webhooks]]
name = "suspect"
url_env = "HOOK"
event_types = ["gap"]
task_names = ["masterstandby*"]
statuses = ["SUCESS"]
`)
	code, _, stderr = cli(t, "check-config", "--offline", "--strict", "--config", suspect)
	for _, w := range []string{
		`warning: slack.webhooks[2].task_names[0]: "masterstandby*" matches a known task name only without case, and globs are case-sensitive`,
		`warning: slack.webhooks[2].statuses[0]: "SUCESS" is not a status the task center is known to use; did you mean "SUCCESS"?`,
		`warning: slack.webhooks[2].task_names: is asked of no event: event_types [gap] lists no task or stuck event, the only ones it is asked of`,
		`warning: slack.webhooks[2].statuses: is asked of no event: event_types [gap] lists no task event, the only ones it is asked of`,
		`4 warning(s), and --strict`,
	} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks\n%s\n%s", w, stderr)
		}
	}
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	// The example receivers load without a warning.
	good := writeFile(t, dir, "good.toml", filtersBase)
	if code, _, stderr := cli(t, "check-config", "--offline", "--strict", "--config", good); code != exitOK || stderr != "" {
		t.Errorf("good: exit %d, stderr %s", code, stderr)
	}
}
