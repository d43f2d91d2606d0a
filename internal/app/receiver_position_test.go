package app_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/event"
	"notifier/internal/receiver"
	"notifier/internal/sinks/slacksink"
	"notifier/internal/state"
	"notifier/internal/testkit/testutil"
)

// The previous version named Slack sinks by position. Its state holds one event pending
// for "slack[0]" (then the on-call webhook) and one for "slack[1]" (the team webhook). The
// operator upgrades and keeps only the team webhook, now first in the file and named
// "team". A position says nothing about a receiver any more: neither event may reach the
// team webhook as if it were its own, and both are dropped with a warning naming the old
// sink, never silently.
func TestPendingEventsOfPositionalSinksNeverReachAnotherReceiver(t *testing.T) {
	sim := dcssim.New(dcssim.Options{AK: pipeAK, SK: pipeSK})
	sim.AddProject(pipeProject)
	api := httptest.NewServer(sim)
	defer api.Close()
	team, teamURL := newHook(t)

	dir := t.TempDir()
	fs, err := state.OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(task string) event.Event {
		return event.New(event.Transition{ProjectID: pipeProject, Region: "cn-north-4", TaskID: task, TaskName: "EXTEND",
			Status: "FAILED", PreviousStatus: "RUNNING", Seq: 2, Task: []byte(`{"id":"` + task + `","name":"EXTEND","status":"FAILED"}`), DetectedAt: time.Now()})
	}
	snap := state.Empty()
	snap.Outbox = []state.Pending{
		{Event: mk("task-for-oncall-only"), Sinks: []string{"slack[0]"}},
		{Event: mk("task-for-team-only"), Sinks: []string{"slack[1]"}},
	}
	if err := fs.Save(t.Context(), snap); err != nil {
		t.Fatal(err)
	}
	fs.Close()

	c := config.Default()
	c.DCS.Projects = []config.Project{{Region: "cn-north-4", ProjectID: pipeProject, Endpoint: api.URL}}
	c.State.Path = dir
	c.NATS.URL = ""
	c.HTTP.Listen = ""
	c.Shutdown.Timeout = config.Duration(3 * time.Second)
	c.Slack.Webhooks = []slacksink.WebhookConfig{{Common: receiver.Common{Name: "team", MinSeverity: "info", MaxPending: 100}, URLEnv: "TEAM_HOOK"}}
	env := map[string]string{"CLOUD_SDK_AK": pipeAK, "CLOUD_SDK_SK": pipeSK, "TEAM_HOOK": teamURL}
	logs := &testutil.SyncBuffer{}
	a, err := app.New(&c, app.Deps{Log: zerolog.New(logs).Level(zerolog.WarnLevel),
		Getenv: func(k string) string { return env[k] }, Registry: prometheus.NewRegistry(), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Once(context.Background(), io.Discard); err != nil {
		t.Fatal(err)
	}
	if team.count("task-for-oncall-only") > 0 || team.count("task-for-team-only") > 0 {
		t.Errorf("the team webhook received an event committed for a positional sink")
	}
	for _, old := range []string{"slack[0]", "slack[1]"} {
		if !strings.Contains(logs.String(), `receiver \"`+old+`\" removed from the config: 1 pending events dropped`) {
			t.Errorf("no warning for %s's dropped event in:\n%s", old, logs.String())
		}
	}
}
