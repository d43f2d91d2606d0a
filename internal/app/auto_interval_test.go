package app_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/testkit/testutil"
)

// poll.interval = "auto" through reloads applied in place: one project on its access key
// polls every 1 s; a reload that adds projects of the same key (as a discovery that found
// them does) lengthens the interval of the poller that runs on, the same poller, and one
// that removes them shortens it again.
func TestPollAutoIntervalRecountsAtReload(t *testing.T) {
	p := newPipeline(t, false)
	p.sim.AddProject(reloadOther)
	p.sim.AddProject(reloadThird)
	p.cfg.NATS.URL = ""
	p.cfg.Poll.Interval = config.PollInterval{Duration: config.Duration(config.AutoIntervalMax), Auto: true}
	p.cfg.Poll.ActiveInterval = config.Duration(time.Second)
	configOf := func(ids ...string) *config.Config {
		c := *p.cfg
		c.DCS.Projects = nil
		for _, id := range ids {
			c.DCS.Projects = append(c.DCS.Projects, config.Project{Region: "cn-north-4", ProjectID: id, Endpoint: p.api.URL})
		}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		return &c
	}
	reg := prometheus.NewRegistry()
	a, err := app.New(configOf(pipeProject), p.deps(reg))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		a.Close()
	})
	testutil.Eventually(t, "the first poll", func() bool {
		return labeled(t, reg, "notifier_polls_total", map[string]string{"project": pipeProject, "result": "ok"}) > 0
	})
	if got := app.IdleIntervalOf(a, pipeProject); got != time.Second {
		t.Fatalf("one project on its key: idle interval %s, want 1s", got)
	}
	poller := app.PollerOf(a, pipeProject)
	for _, step := range []struct {
		ids  []string
		want time.Duration
	}{
		{[]string{pipeProject, reloadOther, reloadThird}, 1725 * time.Millisecond}, // 3 ÷ (0.2 × 8.7)
		{[]string{pipeProject}, time.Second},
	} {
		res, err := a.Apply(t.Context(), configOf(step.ids...))
		if err != nil || len(res.Projects.Restarted) > 0 || slices.Contains(res.Projects.Started, pipeProject) {
			t.Fatalf("reload to %d projects: %+v, %v; want the running project kept", len(step.ids), res, err)
		}
		if app.PollerOf(a, pipeProject) != poller || app.RunReturned(a, pipeProject) {
			t.Fatal("the reload restarted the running project's poller")
		}
		got := app.IdleIntervalOf(a, pipeProject)
		if d := got - step.want; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("%d projects on the key: idle interval %s, want %s", len(step.ids), got, step.want)
		}
		// The status page says it, to a tenth of a second.
		want := step.want.Round(100 * time.Millisecond).Seconds()
		for _, pr := range a.StatusPage(t.Context(), time.Now()).Projects {
			if pr.ID == pipeProject && (pr.IdleIntervalSeconds != want || !pr.IdleIntervalAuto) {
				t.Errorf("%d projects on the key: the status page says %v s (auto %v), want %v s (auto)",
					len(step.ids), pr.IdleIntervalSeconds, pr.IdleIntervalAuto, want)
			}
		}
	}
}
