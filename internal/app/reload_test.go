package app_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/receiver"
	"notifier/internal/sinks/alertmanager"
	"notifier/internal/sinks/slacksink"
	"notifier/internal/testkit/oncalltest"
	"notifier/internal/testkit/testutil"
)

const (
	reloadOther = "1111111111111111111111111111111a"
	reloadThird = "2222222222222222222222222222222b"
)

// reloadRig is a running App of the pipeline with a Slack webhook "dead" that fails every
// post (flakySlack), for reloads applied in place.
type reloadRig struct {
	p    *pipeline
	a    *app.App
	reg  *prometheus.Registry
	dead *flakySlack
	hook string // the dead webhook's URL
	logs *lockedBuffer

	mu  sync.Mutex
	env map[string]string
}

func newReloadRig(t *testing.T) *reloadRig { return newReloadRigOf(t, "file") }

// newReloadRigOf is newReloadRig with the given state.backend: with "nats-kv", one shard
// (cluster.shards = 1) that the only replica leads.
func newReloadRigOf(t *testing.T, backend string) *reloadRig {
	t.Helper()
	r := &reloadRig{p: newPipeline(t, true), dead: &flakySlack{}, reg: prometheus.NewRegistry(), logs: &lockedBuffer{}}
	if backend == "nats-kv" {
		r.p.cfg.State.Backend = "nats-kv"
		r.p.cfg.State.LeaseTTL = config.Duration(time.Second)
	}
	r.p.sim.AddProject(reloadOther)
	r.p.sim.AddProject(reloadThird)
	r.dead.mode.Store("500")
	srv := httptest.NewServer(r.dead)
	t.Cleanup(srv.Close)
	r.hook = srv.URL + "/services/T0/B0/x"
	r.env = map[string]string{"CLOUD_SDK_AK": pipeAK, "CLOUD_SDK_SK": pipeSK, "DEAD_HOOK": r.hook}
	// Long enough that a reload waiting for the dead webhook could not go unseen.
	r.p.cfg.Shutdown.Timeout = config.Duration(10 * time.Minute)
	r.p.cfg = r.config(0, false)
	a, err := app.New(r.p.cfg, app.Deps{Log: zerolog.New(r.logs).Level(zerolog.InfoLevel), Registry: r.reg, Version: "test",
		Getenv: r.getenv})
	if err != nil {
		t.Fatal(err)
	}
	r.a = a
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		a.Close()
	})
	// Run first: the stop's drain does not wait shutdown.timeout for the dead webhook.
	t.Cleanup(func() { r.dead.mode.Store("ok") })
	testutil.Eventually(t, "the first poll of every project", func() bool {
		for _, id := range []string{pipeProject, reloadOther} {
			if r.polls(t, id) == 0 {
				return false
			}
		}
		return true
	})
	return r
}

func (r *reloadRig) getenv(k string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.env[k]
}

func (r *reloadRig) setenv(k, v string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.env[k] = v
}

// config is the pipeline's configuration, built afresh (no slice shared with another):
// the untouched project, another whose name is version n, the third when third is set,
// and the dead webhook whose max_pending follows n.
func (r *reloadRig) config(n int, third bool) *config.Config {
	c := *r.p.cfg
	project := func(id, name string) config.Project {
		return config.Project{Region: "cn-north-4", ProjectID: id, Endpoint: r.p.api.URL, Name: name}
	}
	c.DCS.Projects = []config.Project{project(pipeProject, ""), project(reloadOther, fmt.Sprintf("other-%d", n))}
	if third {
		c.DCS.Projects = append(c.DCS.Projects, project(reloadThird, "third"))
	}
	c.Slack.Webhooks = []slacksink.WebhookConfig{{Common: receiver.Common{Name: "dead", MinSeverity: "info", MaxPending: 1000 + n}, URLEnv: "DEAD_HOOK"}}
	return &c
}

func (r *reloadRig) polls(t *testing.T, id string) float64 {
	return labeled(t, r.reg, "notifier_polls_total", map[string]string{"project": id, "result": "ok"})
}

// A storm of reloads, each changing another project and the webhook that is down, leaves
// the untouched project's poller running: the same poller, its Run never returned, and
// polls going on through the storm. No reload waits for the dead webhook (shutdown.timeout
// is 10 minutes), whose backlog survives every restart of its worker and is delivered
// once, exactly, when it is back; NATS gets each event once.
func TestReloadStormKeepsAnUntouchedProjectPolling(t *testing.T) {
	for _, backend := range []string{"file", "nats-kv"} {
		t.Run(backend, func(t *testing.T) { testReloadStorm(t, backend) })
	}
}

func testReloadStorm(t *testing.T, backend string) {
	r := newReloadRigOf(t, backend)
	c := collect(t, r.p.ns.URL())
	r.p.put("t1", "EXTEND", "RUNNING")
	c.wait(t, "t1:>RUNNING")
	testutil.Eventually(t, "the event pending for the dead webhook", func() bool {
		return labeled(t, r.reg, "notifier_pending_events", map[string]string{"receiver": "dead", "sink": "dead"}) == 1
	})
	poller := app.PollerOf(r.a, pipeProject)
	before := r.polls(t, pipeProject)
	start := time.Now()
	const reloads = 20
	for i := 1; i <= reloads; i++ {
		if i == reloads/2 {
			r.p.set("t1", "SUCCESS")
			r.p.put("t2", "modify", "RUNNING")
		}
		began := time.Now()
		res, err := r.a.Apply(t.Context(), r.config(i, i%2 == 1))
		if err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
		if took := time.Since(began); took > time.Minute {
			t.Fatalf("reload %d took %v: it waited for the dead webhook", i, took)
		}
		if res.Unchanged || !slices.Contains(res.Projects.Restarted, reloadOther) || !slices.Equal(res.Receivers.Restarted, []string{"dead"}) {
			t.Fatalf("reload %d applied %+v, want project %s and receiver dead restarted", i, res, reloadOther)
		}
		if app.PollerOf(r.a, pipeProject) != poller || app.RunReturned(r.a, pipeProject) {
			t.Fatalf("reload %d restarted the poller of the untouched project", i)
		}
		time.Sleep(200 * time.Millisecond) // 20 reloads over about 4 s
	}
	storm, polled := time.Since(start), r.polls(t, pipeProject)-before
	t.Logf("%d reloads in %v: %v polls of the untouched project (poll.interval %v)", reloads, storm.Round(time.Millisecond),
		polled, r.p.cfg.Poll.Interval.D())
	if polled < 5 {
		t.Errorf("%v polls of the untouched project during %v of reloads: its polling stopped", polled, storm)
	}
	c.wait(t, "t1:RUNNING>SUCCESS", "t2:>RUNNING")

	r.dead.mode.Store("ok")
	events := metric(t, r.reg, "notifier_events_total")
	testutil.Eventually(t, "the dead webhook's backlog delivered", func() bool {
		return labeled(t, r.reg, "notifier_deliveries_total", map[string]string{"receiver": "dead", "sink": "dead", "result": "ok"}) == events
	})
	if got := labeled(t, r.reg, "notifier_deliveries_total", map[string]string{"receiver": "dead", "sink": "dead", "result": "dropped"}); got != 0 {
		t.Errorf("the reloads dropped %v events of the dead webhook", got)
	}
	if got := r.dead.ok.Load(); got != int64(events) {
		t.Errorf("the webhook got %d posts for %v events", got, events)
	}
	c.assertOnce(t, "t1:>RUNNING", "t1:RUNNING>SUCCESS", "t2:>RUNNING")
}

// A reload of the same file touches nothing, nor does it when only serve's [http]
// changed; a rotated secret restarts the receiver that reads it; a removed project stops,
// and a removed receiver's backlog is dropped with a warning and counted, as at a start.
// A change a running App cannot follow is refused as a RestartError, changing nothing.
func TestReloadAppliesOnlyWhatChanged(t *testing.T) {
	r := newReloadRig(t)
	r.p.put("t1", "EXTEND", "RUNNING")
	testutil.Eventually(t, "the event pending for the dead webhook", func() bool {
		return labeled(t, r.reg, "notifier_pending_events", map[string]string{"receiver": "dead", "sink": "dead"}) == 1
	})
	poller, worker := app.PollerOf(r.a, pipeProject), app.WorkerOf(r.a, "dead")

	same := r.config(0, false)
	same.HTTP.Listen = "127.0.0.1:1" // serve's, not the App's
	res, err := r.a.Apply(t.Context(), same)
	if err != nil || !res.Unchanged {
		t.Fatalf("the same configuration again: %+v, %v; want unchanged", res, err)
	}
	if app.PollerOf(r.a, pipeProject) != poller || app.RunReturned(r.a, pipeProject) || app.WorkerOf(r.a, "dead") != worker {
		t.Fatal("an unchanged configuration restarted a poller or a worker")
	}

	r.setenv("DEAD_HOOK", r.hook+"?rotated")
	res, err = r.a.Apply(t.Context(), r.config(0, false))
	if err != nil || res.Unchanged || !slices.Equal(res.Receivers.Restarted, []string{"dead"}) || len(res.Projects.Started)+len(res.Projects.Stopped)+len(res.Projects.Restarted) > 0 {
		t.Fatalf("a rotated webhook URL: %+v, %v; want only the webhook restarted", res, err)
	}
	if app.WorkerOf(r.a, "dead") == worker || app.PollerOf(r.a, pipeProject) != poller {
		t.Fatal("a rotated webhook URL: want a new worker for it and the same poller")
	}
	testutil.Eventually(t, "the restarted webhook's backlog of 1", func() bool {
		return labeled(t, r.reg, "notifier_pending_events", map[string]string{"receiver": "dead", "sink": "dead"}) == 1
	})

	c := r.config(0, false)
	c.DCS.Projects = c.DCS.Projects[:1]
	c.Slack.Webhooks = nil
	res, err = r.a.Apply(t.Context(), c)
	if err != nil || !slices.Equal(res.Projects.Stopped, []string{reloadOther}) || !slices.Equal(res.Receivers.Stopped, []string{"dead"}) {
		t.Fatalf("a project and a receiver removed: %+v, %v", res, err)
	}
	if app.PollerOf(r.a, reloadOther) != nil || app.PollerOf(r.a, pipeProject) != poller {
		t.Fatal("the removed project is still polled, or the other restarted")
	}
	if got := labeled(t, r.reg, "notifier_deliveries_total", map[string]string{"receiver": "dead", "sink": "dead", "result": "dropped"}); got != 1 {
		t.Errorf("the removed webhook's backlog: %v dropped, want 1", got)
	}
	if !strings.Contains(r.logs.String(), `receiver \"dead\" removed from the config: 1 pending events dropped`) {
		t.Error("no warning for the removed webhook's dropped backlog")
	}

	moved := r.config(0, false)
	moved.State.Path = t.TempDir()
	var restart *app.RestartError
	if _, err := r.a.Apply(t.Context(), moved); !errors.As(err, &restart) || !strings.Contains(err.Error(), "[state]") {
		t.Fatalf("state.path changed: %v, want a RestartError naming [state]", err)
	}
	if app.PollerOf(r.a, pipeProject) != poller || app.PollerOf(r.a, reloadOther) != nil {
		t.Fatal("a refused reload changed what runs")
	}
}

// A project removed by a reload applied in place is no longer watched: what a receiver
// holds for it (here Alertmanager's gap alert) is ended at the receiver's next tick, by
// the worker that kept running, as a restart would (TestGapAlertOfRemovedProjectIsResolvedThenForgotten).
func TestReloadEndsWhatReceiversHoldForARemovedProject(t *testing.T) {
	p := newPipeline(t, false)
	p.sim.AddProject(reloadOther)
	p.cfg.Poll.GapAfter = config.Duration(300 * time.Millisecond)
	p.cfg.Poll.MaxBackoff = config.Duration(100 * time.Millisecond)
	am := oncalltest.NewAlertmanager(t, "")
	p.cfg.Alertmanager = []alertmanager.Config{{Common: receiver.Common{Name: "am", MinSeverity: "warning", MaxPending: 100}, URL: am.URL(), ResendInterval: config.Duration(200 * time.Millisecond), FailedTTL: config.Duration(24 * time.Hour)}}
	project := func(id string) config.Project {
		return config.Project{Region: "cn-north-4", ProjectID: id, Endpoint: p.api.URL}
	}
	p.cfg.DCS.Projects = []config.Project{project(pipeProject), project(reloadOther)}
	a, err := app.New(p.cfg, p.deps(prometheus.NewRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() {
		cancel()
		<-done
		a.Close()
	}()
	p.sim.RemoveProject(pipeProject) // its polls are refused from now on
	testutil.Eventually(t, "the gap alert", func() bool { return slices.Contains(am.Active(time.Now()), "DCSWatchGap ") })
	worker := app.WorkerOf(a, "am")

	c := *p.cfg
	c.DCS.Projects = []config.Project{project(reloadOther)}
	res, err := a.Apply(t.Context(), &c)
	if err != nil || !slices.Equal(res.Projects.Stopped, []string{pipeProject}) {
		t.Fatalf("the project removed: %+v, %v", res, err)
	}
	if app.WorkerOf(a, "am") != worker {
		t.Error("removing a project restarted the Alertmanager receiver")
	}
	testutil.Eventually(t, "the gap alert resolved", func() bool { return !slices.Contains(am.Active(time.Now()), "DCSWatchGap ") })
}
