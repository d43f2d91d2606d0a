package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/dcssim"
)

const burstSize = 10_000

// slackRecorder is a Slack webhook that answers ok and records when each post came.
type slackRecorder struct {
	mu    sync.Mutex
	posts []time.Time
}

func (s *slackRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	s.posts = append(s.posts, time.Now())
	s.mu.Unlock()
	_, _ = io.WriteString(w, "ok")
}

func (s *slackRecorder) minGap() (int, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gap := time.Duration(0)
	for i := 1; i < len(s.posts); i++ {
		if d := s.posts[i].Sub(s.posts[i-1]); gap == 0 || d < gap {
			gap = d
		}
	}
	return len(s.posts), gap
}

// measureBurst (figure 4): one poll finds 10,000 new tasks. Measured from the poll's first
// request until the NATS sink has every event delivered (published and flushed, or acked
// by JetStream) and its progress recorded; Slack gets digests at most one a second.
func measureBurst(ctx context.Context) ([]row, error) {
	core, slackRow, err := burstRun(ctx, false)
	if err != nil {
		return nil, err
	}
	js, _, err := burstRun(ctx, true)
	if err != nil {
		return nil, err
	}
	return []row{
		{"4. one poll → 10,000 events on core NATS", "≤ 1 s", fmt.Sprintf("%.0f ms", core.Seconds()*1000), core <= time.Second},
		{"4. one poll → 10,000 events on JetStream, acked", "≤ 3 s", fmt.Sprintf("%.0f ms", js.Seconds()*1000), js <= 3*time.Second},
		slackRow,
	}, nil
}

func burstRun(ctx context.Context, jetStream bool) (time.Duration, row, error) {
	ns, stopNATS, err := startNATS()
	if err != nil {
		return 0, row{}, err
	}
	defer stopNATS()
	sim := dcssim.New(dcssim.Options{AK: ak, SK: sk})
	now := time.Now().UTC()
	sim.PutAll(project, dcssim.SeedHistory(project, 300, now.Add(-23*time.Hour), now.Add(-time.Minute)))
	api := httptest.NewServer(sim)
	defer api.Close()
	slack := &slackRecorder{}
	slackSrv := httptest.NewServer(slack)
	defer slackSrv.Close()
	dir, err := os.MkdirTemp("", "perf-burst-*")
	if err != nil {
		return 0, row{}, err
	}
	defer os.RemoveAll(dir)

	c := config.Default()
	c.DCS.Projects = []config.Project{{Region: "cn-north-4", ProjectID: project, Endpoint: api.URL}}
	c.Poll.Interval = config.Duration(200 * time.Millisecond)
	c.Poll.ActiveInterval = config.Duration(200 * time.Millisecond)
	c.State.Path = dir
	c.NATS.URL = ns.ClientURL()
	c.NATS.JetStream = jetStream
	c.HTTP.Listen = ""
	if !jetStream {
		c.Slack.Webhooks = []config.Webhook{{Name: "perf", URLEnv: "PERF_SLACK", MinSeverity: "info", MaxPending: config.DefaultMaxPending}}
	}
	env := map[string]string{"CLOUD_SDK_AK": ak, "CLOUD_SDK_SK": sk, "PERF_SLACK": slackSrv.URL}
	st := &stamp{}
	reg := prometheus.NewRegistry()
	a, err := app.New(&c, app.Deps{Log: zerolog.Nop(), Getenv: func(k string) string { return env[k] },
		Registry: reg, Transport: st, Version: "perf"})
	if err != nil {
		return 0, row{}, err
	}
	defer a.Close()
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	if _, err := waitFor(20*time.Second, "the baseline poll", func() bool { return metric(reg, "notifier_polls_total", "", "") > 0 }); err != nil {
		return 0, row{}, err
	}

	tasks := make([]dcssim.Task, burstSize)
	for i := range tasks {
		tasks[i] = dcssim.Task{ID: fmt.Sprintf("burst%027d", i), Name: "EXTEND", JobID: fmt.Sprintf("job%029d", i), UserName: "ops",
			Status: "RUNNING", CreatedAt: now.Add(time.Duration(i) * time.Millisecond),
			Details: map[string]any{"old_capacity": 0.5, "new_capacity": 1, "old_cache_mode": "ha", "new_cache_mode": "ha"}}
	}
	st.arm()
	sim.PutAll(project, tasks)
	delivered := func(sink string) func() bool {
		return func() bool { return metric(reg, "notifier_deliveries_total", "sink", sink) >= burstSize }
	}
	end, err := waitFor(60*time.Second, "every event delivered to nats", delivered("nats"))
	if err != nil {
		return 0, row{}, err
	}
	took := end.Sub(st.first())
	if jetStream {
		return took, row{}, nil
	}
	slackEnd, err := waitFor(120*time.Second, "every event delivered to slack", delivered("perf"))
	if err != nil {
		return 0, row{}, err
	}
	posts, gap := slack.minGap()
	dropped := metric(reg, "notifier_deliveries_total", "result", "dropped")
	return took, row{"4. Slack: 10,000 events as digests", "≤ 1 post/s, none lost",
		fmt.Sprintf("%d posts in %.1f s, min gap %.2f s, %d dropped", posts, slackEnd.Sub(st.first()).Seconds(), gap.Seconds(), int(dropped)),
		(posts < 2 || gap >= 990*time.Millisecond) && dropped == 0}, nil
}
