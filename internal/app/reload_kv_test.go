package app_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/diff"
	"notifier/internal/receiver"
	"notifier/internal/sinks/slacksink"
	"notifier/internal/state"
	"notifier/internal/testkit/testutil"
)

// Under nats-kv, a reload is applied in place in the shard this replica leads, as in file
// mode: a receiver added, another project's settings changed, a project added and one
// removed each leave the untouched project's poller running (the same poller, its Run
// never returned); the added project is polled, the removed one no longer is, and an
// unchanged file touches nothing. Events still go to NATS once each.
func TestReloadUnderNATSKVKeepsAnUntouchedProjectPolling(t *testing.T) {
	r := newReloadRigOf(t, "nats-kv")
	c := collect(t, r.p.ns.URL())
	poller := app.PollerOf(r.a, pipeProject)
	if poller == nil {
		t.Fatal("the shard's leader has no poller of the project")
	}
	untouched := func(step string) {
		t.Helper()
		if app.PollerOf(r.a, pipeProject) != poller || app.RunReturned(r.a, pipeProject) {
			t.Fatalf("%s restarted the poller of the untouched project", step)
		}
	}
	extra := func(cfg *config.Config) *config.Config {
		cfg.Slack.Webhooks = append(cfg.Slack.Webhooks, slacksink.WebhookConfig{Common: receiver.Common{Name: "extra", MinSeverity: "info", MaxPending: 10}, URLEnv: "DEAD_HOOK"})
		return cfg
	}
	apply := func(step string, cfg *config.Config) app.Applied {
		t.Helper()
		res, err := r.a.Apply(t.Context(), cfg)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		untouched(step)
		return res
	}

	if res := apply("the same file", r.config(0, false)); !res.Unchanged {
		t.Fatalf("the same file applied %+v, want unchanged", res)
	}
	if res := apply("a receiver added", extra(r.config(0, false))); !slices.Equal(res.Receivers.Started, []string{"extra"}) ||
		len(res.Projects.Started)+len(res.Projects.Stopped)+len(res.Projects.Restarted) > 0 {
		t.Fatalf("a receiver added applied %+v", res)
	}
	if res := apply("another project changed", extra(r.config(1, false))); !slices.Equal(res.Projects.Restarted, []string{reloadOther}) {
		t.Fatalf("another project changed applied %+v", res)
	}
	if res := apply("a project added", extra(r.config(1, true))); !slices.Equal(res.Projects.Started, []string{reloadThird}) {
		t.Fatalf("a project added applied %+v", res)
	}
	testutil.Eventually(t, "the added project polled", func() bool { return r.polls(t, reloadThird) > 0 })
	r.p.put("t1", "EXTEND", "RUNNING")
	c.wait(t, "t1:>RUNNING")

	if res := apply("a project removed", extra(r.config(1, false))); !slices.Equal(res.Projects.Stopped, []string{reloadThird}) {
		t.Fatalf("a project removed applied %+v", res)
	}
	if app.PollerOf(r.a, reloadThird) != nil {
		t.Fatal("the removed project still has a poller")
	}
	removed, base := r.polls(t, reloadThird), r.polls(t, pipeProject)
	testutil.Eventually(t, "three more polls of the untouched project", func() bool { return r.polls(t, pipeProject) >= base+3 })
	if got := r.polls(t, reloadThird); got != removed {
		t.Errorf("the removed project was polled %v times after the reload", got-removed)
	}
	r.p.set("t1", "SUCCESS")
	c.wait(t, "t1:RUNNING>SUCCESS")
	c.assertOnce(t, "t1:>RUNNING", "t1:RUNNING>SUCCESS")
	untouched("the whole test")
}

// Under nats-kv, a project added by a reload whose state is in the bucket already (it was
// watched before, here by a leader of another configuration) cannot join the state the
// shard loaded: the shard gives up its lease and wins it again, and its next leadership
// loads and polls the project.
func TestReloadUnderNATSKVLoadsAnAddedProjectsStoredState(t *testing.T) {
	r := newReloadRigOf(t, "nats-kv")
	nc, err := nats.Connect(r.p.ns.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := state.OpenKVBucket(t.Context(), js, r.p.cfg.State.Bucket, r.p.cfg.State.Replicas)
	if err != nil {
		t.Fatal(err)
	}
	// A leader of an older epoch (0) and term watched the third project.
	old := state.NewKV(kv, state.KVOptions{Projects: []string{reloadThird}, Term: 1})
	snap, err := old.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	snap.Projects[reloadThird] = &diff.ProjectState{Horizon: time.Now().UnixMilli(), Tasks: diff.TasksOf(map[string]diff.TaskState{})}
	if err := old.Save(t.Context(), snap); err != nil {
		t.Fatal(err)
	}

	res, err := r.a.Apply(t.Context(), r.config(0, true))
	if err != nil || !slices.Equal(res.Projects.Started, []string{reloadThird}) {
		t.Fatalf("a project with stored state added: %+v, %v", res, err)
	}
	testutil.Eventually(t, "the added project polled by the shard's next leadership", func() bool {
		return app.PollerOf(r.a, reloadThird) != nil && r.polls(t, reloadThird) > 0
	})
	if !strings.Contains(r.logs.String(), "giving up the lease to load it") {
		t.Error("no line says why the shard gave up its lease")
	}
}
