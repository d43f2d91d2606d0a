package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/dcs"
	"notifier/internal/dcssim"
	"notifier/internal/receiver"
	"notifier/internal/sinks/slacksink"
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
//
// The poll reads 11 pages. At the default request budget (dcs.max_requests_per_second =
// 10) their starts are spaced 115 ms apart (dcs.Budget), so reading them takes 1.15 s by
// design, more than the whole target: the first two runs measure the notifier's own work
// with a budget that does not bind (as every run did before the budget existed), the third
// the default budget, held to the same target plus the budget's 10 spacings.
func measureBurst(ctx context.Context) ([]row, error) {
	core, err := burstRun(ctx, false, unboundBudget)
	if err != nil {
		return nil, err
	}
	js, err := burstRun(ctx, true, unboundBudget)
	if err != nil {
		return nil, err
	}
	def := config.Default().DCS.MaxRequestsPerSecond
	atDefault, err := burstRun(ctx, false, def)
	if err != nil {
		return nil, err
	}
	spacing := time.Duration(float64(time.Second) / dcs.MeanRate(def))
	pages := burstPages - 1
	floor := time.Duration(pages) * spacing
	return []row{
		{"4. one poll → 10,000 events on core NATS", "≤ 1 s", ms(core.took), core.took <= time.Second},
		{"4. one poll → 10,000 events on JetStream, acked", "≤ 3 s", ms(js.took), js.took <= 3*time.Second},
		core.slack,
		{fmt.Sprintf("4. the same on core NATS at the default budget (%g requests/s)", def),
			fmt.Sprintf("≤ 1 s + %d × %.0f ms", pages, spacing.Seconds()*1000),
			fmt.Sprintf("%s, of which %s reading its %d pages", ms(atDefault.took), ms(atDefault.read), burstPages),
			atDefault.took <= time.Second+floor},
	}, nil
}

// unboundBudget is a request budget the burst's 11 pages never wait for (the most the
// configuration accepts).
const unboundBudget = 10_000

// burstPages is how many pages the poll that finds the burst reads: 300 older tasks and
// the 10,000 new ones, 1,000 a page.
const burstPages = (300+burstSize)/1000 + 1

// burst is what one run measured: the whole time, the part spent reading the listing
// (until the answer to its last page), and, with Slack, its row.
type burst struct {
	took, read time.Duration
	slack      row
}

func burstRun(ctx context.Context, jetStream bool, perSecond float64) (burst, error) {
	ns, stopNATS, err := startNATS()
	if err != nil {
		return burst{}, err
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
		return burst{}, err
	}
	defer os.RemoveAll(dir)

	c := config.Default()
	c.DCS.Projects = []config.Project{{Region: "cn-north-4", ProjectID: project, Endpoint: api.URL}}
	c.Poll.Interval = config.Every(200 * time.Millisecond)
	c.Poll.ActiveInterval = config.Duration(200 * time.Millisecond)
	c.DCS.MaxRequestsPerSecond = perSecond
	c.State.Path = dir
	c.NATS.URL = ns.ClientURL()
	c.NATS.JetStream = jetStream
	c.HTTP.Listen = ""
	withSlack := !jetStream && perSecond == unboundBudget
	if withSlack {
		c.Slack.Webhooks = []slacksink.WebhookConfig{{Common: receiver.Common{Name: "perf", MinSeverity: "info", MaxPending: config.DefaultMaxPending}, URLEnv: "PERF_SLACK"}}
	}
	env := map[string]string{"CLOUD_SDK_AK": ak, "CLOUD_SDK_SK": sk, "PERF_SLACK": slackSrv.URL}
	st := &stamp{lastOffset: strconv.Itoa((burstPages - 1) * 1000)}
	reg := prometheus.NewRegistry()
	a, err := app.New(&c, app.Deps{Log: zerolog.Nop(), Getenv: func(k string) string { return env[k] },
		Registry: reg, Transport: st, Version: "perf"})
	if err != nil {
		return burst{}, err
	}
	defer a.Close()
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	if _, err := waitFor(20*time.Second, "the baseline poll", func() bool { return metric(reg, "notifier_polls_total", "", "") > 0 }); err != nil {
		return burst{}, err
	}

	tasks := make([]dcssim.Task, burstSize)
	for i := range tasks {
		tasks[i] = dcssim.Task{ID: fmt.Sprintf("burst%027d", i), Name: "EXTEND", JobID: fmt.Sprintf("job%029d", i), UserName: "ops",
			Status: "RUNNING", CreatedAt: now.Add(time.Duration(i) * time.Millisecond),
			Details: map[string]any{"old_capacity": 0.5, "new_capacity": 1, "old_cache_mode": "ha", "new_cache_mode": "ha"}}
	}
	name := "core"
	if jetStream {
		name = "js"
	}
	if perSecond != unboundBudget {
		name += fmt.Sprintf("-budget%g", perSecond)
	}
	stopProfiles, err := startProfiles(name)
	if err != nil {
		return burst{}, err
	}
	cpu0 := cpuTime()
	bytes0, objects0 := allocated()
	st.arm()
	sim.PutAll(project, tasks)
	delivered := func(sink string) func() bool {
		return func() bool { return metric(reg, "notifier_deliveries_total", "receiver", sink) >= burstSize }
	}
	end, err := waitFor(60*time.Second, "every event delivered to nats", delivered("nats"))
	if perr := stopProfiles(); err == nil {
		err = perr
	}
	if err != nil {
		return burst{}, err
	}
	b := burst{took: end.Sub(st.first()), read: st.lastPage().Sub(st.first())}
	// The CPU and the allocations of the whole process (simulator, NATS server and
	// notifier) vary far less than the time on a shared machine: compare them between
	// versions.
	bytes1, objects1 := allocated()
	fmt.Fprintf(os.Stderr, "perf: burst %s: %s (reading %s), CPU %s, allocated %.0f MB in %.2f M objects\n", name,
		ms(b.took), ms(b.read), ms(cpuTime()-cpu0), float64(bytes1-bytes0)/1e6, float64(objects1-objects0)/1e6)
	if !withSlack {
		return b, nil
	}
	slackEnd, err := waitFor(120*time.Second, "every event delivered to slack", delivered("perf"))
	if err != nil {
		return burst{}, err
	}
	posts, gap := slack.minGap()
	dropped := metric(reg, "notifier_deliveries_total", "result", "dropped")
	b.slack = row{"4. Slack: 10,000 events as digests", "≤ 1 post/s, none lost",
		fmt.Sprintf("%d posts in %.1f s, min gap %.2f s, %d dropped", posts, slackEnd.Sub(st.first()).Seconds(), gap.Seconds(), int(dropped)),
		(posts < 2 || gap >= 990*time.Millisecond) && dropped == 0}
	return b, nil
}
