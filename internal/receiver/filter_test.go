package receiver

import (
	"errors"
	"strings"
	"testing"
	"time"

	"notifier/internal/confkit"
	"notifier/internal/event"
)

const (
	prodID  = "0123456789abcdef0123456789abcdef"
	stageID = "fedcba9876543210fedcba9876543210"
)

// events the filters below are asked about: a failed switchover on a named instance of a
// named project, a spec change elsewhere that names no instance, a stuck switchover, a
// blind spot and its end, and a test notification.
var (
	failedSwap = event.Event{Type: event.TypeStatusChanged, Data: event.Data{ProjectID: prodID, ProjectName: "prod-cn", Region: "cn-north-4",
		InstanceID: "a1b2c3d4-0000-4000-8000-000000000001", InstanceName: "redis-prod-1",
		TaskName: event.SwitchoverTask, Status: "FAILED", Severity: event.Critical}}
	extend = event.Event{Type: event.TypeCreated, Data: event.Data{ProjectID: stageID, Region: "cn-east-3",
		TaskName: "EXTEND", Status: "SUCCESS", Severity: event.Info}}
	stuckSwap = named(event.NewStuck(event.Stuck{ProjectID: prodID, Region: "cn-north-4", TaskID: "t1", TaskName: event.SwitchoverTask,
		Status: "RUNNING", Running: time.Hour, Threshold: 15 * time.Minute, Source: event.ThresholdConfigured}))
	gap      = event.NewGap(event.Gap{ProjectID: prodID, ProjectName: "prod-cn", Region: "cn-north-4", BlindSince: time.Unix(0, 0), Escalated: true})
	restored = event.NewRestored(event.Restored{ProjectID: prodID, ProjectName: "prod-cn", Region: "cn-north-4", Complete: true})
	test     = event.NewTest("cn-north-4", prodID, "prod-cn", time.Unix(0, 0))
)

// named gives e the project name the diff gives a stuck event.
func named(e event.Event) event.Event {
	e.Data.ProjectName = "prod-cn"
	return e
}

func TestFilterMatchesTheNewFilters(t *testing.T) {
	evs := []*event.Event{&failedSwap, &extend, &stuckSwap, &gap, &restored, &test}
	tests := []struct {
		name string
		c    Common
		want []bool // failedSwap, extend, stuckSwap, gap, restored, test
		why  string // the reason given for extend when refused
	}{
		{"nothing set", Common{}, []bool{true, true, true, true, true, true}, ""},
		{"event_types task", Common{EventTypes: []string{"task"}}, []bool{true, true, false, false, false, false},
			""},
		{"event_types stuck, gap", Common{EventTypes: []string{"stuck", "gap"}}, []bool{false, false, true, true, true, false},
			"event_types [gap stuck] do not include task (com.huaweicloud.dcs.task.created)"},
		{"event_types test only", Common{EventTypes: []string{"test"}}, []bool{false, false, false, false, false, true},
			"event_types [test] do not include task (com.huaweicloud.dcs.task.created)"},
		{"a test event is asked event_types alone", Common{MinSeverity: "critical", TaskNames: []string{"EXTEND"}, Regions: []string{"eu-west-0"}},
			[]bool{false, false, false, false, false, true}, "min_severity critical > info"},
		{"task_names glob", Common{TaskNames: []string{"master*Job"}}, []bool{true, false, true, false, false, true},
			`task_names [master*Job] do not include "EXTEND"`},
		{"task_names ? and exact", Common{TaskNames: []string{"EXTEN?", "AddReplica"}}, []bool{false, true, false, false, false, true}, ""},
		{"globs are case-sensitive", Common{TaskNames: []string{"masterstandby*"}}, []bool{false, false, false, false, false, true},
			`task_names [masterstandby*] do not include "EXTEND"`},
		{"projects by name", Common{Projects: []string{"prod-cn"}}, []bool{true, false, true, true, true, true},
			"projects [prod-cn] do not include " + stageID},
		{"projects by id, any case", Common{Projects: []string{strings.ToUpper(stageID)}}, []bool{false, true, false, false, false, true}, ""},
		{"regions", Common{Regions: []string{"cn-north-4"}}, []bool{true, false, true, true, true, true},
			`regions [cn-north-4] do not include "cn-east-3"`},
		{"instances by name", Common{Instances: []string{"redis-prod-*"}}, []bool{true, false, false, false, false, true},
			"instances [redis-prod-*]: the task names no instance"},
		{"instances by id", Common{Instances: []string{"a1b2c3d4-*"}}, []bool{true, false, false, false, false, true}, ""},
		{"instances: * needs an instance", Common{Instances: []string{"*"}}, []bool{true, false, false, false, false, true}, ""},
		// Without event_types a stuck task's status and a blind spot's missing task are
		// asked, as before the key: statuses [FAILED] keeps both out.
		{"statuses without event_types", Common{Statuses: []string{"FAILED"}}, []bool{true, false, false, false, false, true},
			`statuses [FAILED] do not include "SUCCESS"`},
		{"the switchover pager", Common{EventTypes: []string{"task", "stuck", "gap"}, TaskNames: []string{event.SwitchoverTask}, Statuses: []string{"FAILED"}},
			[]bool{true, false, true, true, true, false}, `task_names [masterStandbySwapJob] do not include "EXTEND"`},
		{"all together", Common{EventTypes: []string{"task"}, MinSeverity: "warning", TaskNames: []string{"master*"}, Statuses: []string{"FAILED"},
			Projects: []string{"prod-cn"}, Regions: []string{"cn-north-4"}, Instances: []string{"redis-prod-?"}},
			[]bool{true, false, false, false, false, false}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := NewFilter("slack.webhooks[0]", tt.c)
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range evs {
				got, why := f.Match(e)
				if got != tt.want[i] {
					t.Errorf("event %d (%s %s): match %v (%s), want %v", i, e.Type, e.Data.TaskName, got, why, tt.want[i])
				}
				if got == (why != "") {
					t.Errorf("event %d: match %v with reason %q: a refusal needs a reason, a match none", i, got, why)
				}
			}
			if _, why := f.Match(&extend); tt.why != "" && why != tt.why {
				t.Errorf("extend refused as %q, want %q", why, tt.why)
			}
		})
	}
}

// A refusal of a stuck or gap event by a task filter, without event_types, says how to
// get it; with event_types listing it, the filters not asked are named for routes.
func TestFilterExplainsTheTaskFiltersOfStuckAndGapEvents(t *testing.T) {
	f, _ := NewFilter("k", Common{TaskNames: []string{event.SwitchoverTask}, Statuses: []string{"FAILED"}})
	if _, why := f.Match(&stuckSwap); !strings.Contains(why, `statuses [FAILED] do not include "RUNNING"`) || !strings.Contains(why, "event_types listing stuck") {
		t.Errorf("stuck refused as %q", why)
	}
	if _, why := f.Match(&gap); !strings.Contains(why, "a blind spot (gap) event has no task name") || !strings.Contains(why, "event_types listing gap") {
		t.Errorf("gap refused as %q", why)
	}
	if got := f.NotAsked(&stuckSwap); got != nil {
		t.Errorf("without event_types every filter is asked, got %v not asked", got)
	}
	f, _ = NewFilter("k", Common{EventTypes: []string{"stuck", "gap"}, TaskNames: []string{event.SwitchoverTask}, Statuses: []string{"FAILED"}, Instances: []string{"redis-*"}})
	if got := f.NotAsked(&stuckSwap); strings.Join(got, " ") != "statuses" {
		t.Errorf("stuck: not asked %v, want [statuses]", got)
	}
	if got := f.NotAsked(&gap); strings.Join(got, " ") != "task_names statuses instances" {
		t.Errorf("gap: not asked %v, want [task_names statuses instances]", got)
	}
	if _, why := f.Match(&stuckSwap); why != "instances [redis-*]: a stuck event names no instance" {
		t.Errorf("a stuck event is still asked instances: %q", why)
	}
}

func TestNewFilterRefusesWhatLoadRefuses(t *testing.T) {
	for _, tt := range []struct {
		c    Common
		want string
	}{
		{Common{EventTypes: []string{"task", "stuk"}}, `pagerduty[1].event_types[1]: unknown event type "stuk" (valid: task, stuck, gap, test); did you mean "stuck"?`},
		{Common{TaskNames: []string{"master["}}, `pagerduty[1].task_names: "master[" is not a valid glob`},
		{Common{Instances: []string{"redis-[a-"}}, `pagerduty[1].instances: "redis-[a-" is not a valid glob`},
	} {
		if _, err := NewFilter("pagerduty[1]", tt.c); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%+v: err = %v, want it to start with %s", tt.c, err, tt.want)
		}
	}
}

// Validate names the key and index of every wrong value, with the valid ones or a close
// one.
func TestValidateFilter(t *testing.T) {
	known := &Known{ProjectIDs: []string{prodID, stageID}, ProjectNames: []string{"prod-cn"}, Regions: []string{"cn-north-4", "my-private-1"}}
	c := Common{
		EventTypes: []string{"task", "gaps", ""},
		TaskNames:  []string{"master*", "bad[", "EXTEND"},
		Projects:   []string{"prod-cn", "prod-nc", strings.ToUpper(prodID), "ffffffffffffffffffffffffffffffff"},
		Regions:    []string{"cn-north-4", "my-private-1", "cn-nrth-4", "xx-1"},
		Instances:  []string{"redis-*", "redis-[", "a1b2c3d4-0000-4000-8000-000000000001"},
	}
	var p confkit.Problems
	c.validateFilter(&p, "slack.webhooks[0]", known)
	want := []string{
		`slack.webhooks[0].event_types[2]: must not be empty`,
		`slack.webhooks[0].event_types[1]: unknown event type "gaps" (valid: task, stuck, gap, test); did you mean "gap"?`,
		`slack.webhooks[0].task_names[1]: "bad[" is not a valid glob (* any characters but /, ? one, [a-z] one of a class): syntax error in pattern`,
		`slack.webhooks[0].instances[1]: "redis-[" is not a valid glob (* any characters but /, ? one, [a-z] one of a class): syntax error in pattern`,
		`slack.webhooks[0].regions[2]: unknown region "cn-nrth-4"; did you mean "cn-north-4"?`,
		`slack.webhooks[0].regions[3]: unknown region "xx-1"`,
		`slack.webhooks[0].projects[1]: unknown project "prod-nc": neither a project id nor the name of one in dcs.projects (names: prod-cn); did you mean "prod-cn"?`,
		`slack.webhooks[0].projects[3]: unknown project "ffffffffffffffffffffffffffffffff" (not in dcs.projects)`,
	}
	got := strings.Split(errors.Join(p...).Error(), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// With [[dcs.discover]] any id or name may be found at run time: no error (a name is
	// a warning of config's Lint).
	p = nil
	known.Discover = true
	c = Common{Projects: []string{"acct-a/cn-east-3", "ffffffffffffffffffffffffffffffff"}}
	c.validateFilter(&p, "slack.webhooks[0]", known)
	if len(p) > 0 {
		t.Errorf("with discovery: %v", p)
	}
}
