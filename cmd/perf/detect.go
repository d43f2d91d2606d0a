package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/dcssim"
	"notifier/internal/diff"
	"notifier/internal/event"
	"notifier/internal/metrics"
	"notifier/internal/poller"
	"notifier/internal/sinks"
	"notifier/internal/sinks/natssink"
	"notifier/internal/state"
)

const (
	detectInterval = 10 * time.Second
	detectActive   = time.Second
	detectFast     = 250 * time.Millisecond
)

// typical durations per task name, which the poller can learn from the history.
var typical = map[string]time.Duration{"EXTEND": 1500 * time.Millisecond, "BindEip": 2500 * time.Millisecond, "masterStandbySwapJob": 4 * time.Second}

type planned struct {
	id, name   string
	start, end time.Duration // offsets from the start of the run
}

// plan draws n tasks starting at random over span, each running its name's typical
// duration give or take 8 %.
func plan(n int, span time.Duration) []planned {
	r := rand.New(rand.NewPCG(1, 2))
	names := []string{"EXTEND", "BindEip", "masterStandbySwapJob"}
	out := make([]planned, n)
	for i := range out {
		name := names[r.IntN(len(names))]
		start := time.Duration(r.Int64N(int64(span)))
		d := time.Duration(float64(typical[name]) * (1 + 0.08*r.NormFloat64()))
		out[i] = planned{id: fmt.Sprintf("live%028d", i), name: name, start: start, end: start + d}
	}
	return out
}

// detectResult is one mode's latencies (change made → event on NATS) and API requests.
type detectResult struct {
	ends, starts []time.Duration // ends of tasks seen running; first sightings
	requests     int
	missed       int // tasks that started and ended between two polls
}

// measureDetect (figure 5): status transitions at random times, timed from the change in
// the simulator to the event on NATS, with fixed intervals and with adaptive polling
// (both run at the same time, each against its own simulator, on the same schedule).
func measureDetect(ctx context.Context, n int, span time.Duration) ([]row, error) {
	ns, stop, err := startNATS()
	if err != nil {
		return nil, err
	}
	defer stop()
	p := plan(n, span)
	var fixed, adaptive detectResult
	var ferr, aerr error
	var wg sync.WaitGroup
	wg.Go(func() { fixed, ferr = detectRun(ctx, ns.ClientURL(), "fixed", p, 0) })
	wg.Go(func() { adaptive, aerr = detectRun(ctx, ns.ClientURL(), "adaptive", p, detectFast) })
	wg.Wait()
	if ferr != nil {
		return nil, ferr
	}
	if aerr != nil {
		return nil, aerr
	}
	target := detectActive + 200*time.Millisecond
	f50, f99, fmean := stats(fixed.ends)
	a50, a99, amean := stats(adaptive.ends)
	s50, s99, _ := stats(fixed.starts)
	extra := adaptive.requests - fixed.requests
	gain := "n/a"
	if extra > 0 {
		gain = fmt.Sprintf("%.1f ms per extra request", float64((fmean-amean).Microseconds())/1000/float64(extra))
	}
	return []row{
		{fmt.Sprintf("5. end of a running task → NATS, fixed (active %v), n=%d", detectActive, len(fixed.ends)), "p99 ≤ " + target.String(),
			fmt.Sprintf("p50 %s, p99 %s, %d requests", ms(f50), ms(f99), fixed.requests), f99 <= target},
		{fmt.Sprintf("5. same, adaptive (learned durations, fast %v), n=%d", detectFast, len(adaptive.ends)), "p99 ≤ " + target.String(),
			fmt.Sprintf("p50 %s, p99 %s, %d requests", ms(a50), ms(a99), adaptive.requests), a99 <= target},
		{"5. adaptive: latency gained per extra request", "report", fmt.Sprintf("mean %s → %s, +%d requests: %s", ms(fmean), ms(amean), extra, gain), true},
		{fmt.Sprintf("5. new task → NATS (idle interval %v applies when nothing runs)", detectInterval), "report",
			fmt.Sprintf("p50 %s, p99 %s; %d of %d tasks started and ended between two polls", ms(s50), ms(s99), fixed.missed, len(p)), true},
	}, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000) }

func stats(ds []time.Duration) (p50, p99, mean time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return s[len(s)/2], s[min(len(s)-1, len(s)*99/100)], sum / time.Duration(len(s))
}

func detectRun(ctx context.Context, natsURL, mode string, p []planned, fast time.Duration) (detectResult, error) {
	sim := dcssim.New(dcssim.Options{AK: ak, SK: sk})
	now := time.Now().UTC()
	var history []dcssim.Task
	for name, d := range typical {
		for i := range 60 {
			c := now.Add(-time.Duration(i+1) * 10 * time.Minute).Truncate(time.Millisecond)
			jitter := time.Duration(float64(d) * 0.08 * float64(i%5-2) / 2)
			history = append(history, dcssim.Task{ID: fmt.Sprintf("hist-%s-%03d", name, i), Name: name, Status: "SUCCESS",
				CreatedAt: c, UpdatedAt: c.Add(d + jitter)})
		}
	}
	sim.PutAll(project, history)
	api := httptest.NewServer(sim)
	defer api.Close()
	c, err := newClient(api.URL)
	if err != nil {
		return detectResult{}, err
	}
	dir, err := os.MkdirTemp("", "perf-detect-*")
	if err != nil {
		return detectResult{}, err
	}
	defer os.RemoveAll(dir)
	fs, err := state.OpenFile(dir)
	if err != nil {
		return detectResult{}, err
	}
	defer fs.Close()
	prefix := "perf." + mode
	sink, err := natssink.New(natssink.Options{URL: natsURL, SubjectPrefix: prefix, Log: zerolog.Nop()})
	if err != nil {
		return detectResult{}, err
	}
	defer sink.Close()
	ledger, _ := state.NewLedger(fs, state.Empty(), []string{sink.Name()})
	m := metrics.New(prometheus.NewRegistry(), "perf")
	pl, err := poller.New(poller.Options{
		Policy:   diff.Policy{ProjectID: project, Region: "cn-north-4", Lookback: 24 * time.Hour, Margin: 10 * time.Minute, Terminal: terminal},
		PageSize: 1000, Interval: detectInterval, ActiveInterval: detectActive, FastInterval: fast, MaxBackoff: time.Minute,
		Lister: c, Ledger: ledger, Metrics: m,
	})
	if err != nil {
		return detectResult{}, err
	}
	disp := sinks.NewDispatcher(sinks.DispatcherOptions{Queue: ledger, Sinks: []sinks.Sink{sink}, Log: zerolog.Nop(), Metrics: m})

	var mu sync.Mutex
	changed := map[string]time.Time{} // "id status" -> when the simulator changed
	seen := map[string]time.Time{}    // "id status" -> when the event arrived
	nc, err := nats.Connect(natsURL)
	if err != nil {
		return detectResult{}, err
	}
	defer nc.Close()
	if _, err := nc.Subscribe(prefix+".>", func(msg *nats.Msg) {
		at := time.Now()
		var e event.Event
		if json.Unmarshal(msg.Data, &e) == nil {
			mu.Lock()
			seen[e.Subject+" "+e.Data.Status] = at
			mu.Unlock()
		}
	}); err != nil {
		return detectResult{}, err
	}
	if err := nc.Flush(); err != nil {
		return detectResult{}, err
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { disp.Run(runCtx) })
	wg.Go(func() { pl.Run(runCtx) })
	if _, err := waitFor(20*time.Second, "the baseline poll", func() bool { return !pl.LastSuccess().IsZero() }); err != nil {
		return detectResult{}, err
	}
	type step struct {
		at     time.Duration
		id     string
		status string
		name   string
	}
	var steps []step
	for _, t := range p {
		steps = append(steps, step{t.start, t.id, "RUNNING", t.name}, step{t.end, t.id, "SUCCESS", t.name})
	}
	slices.SortFunc(steps, func(a, b step) int { return int(a.at - b.at) })
	req0 := sim.Requests(project)
	begin := time.Now()
	for _, s := range steps {
		time.Sleep(time.Until(begin.Add(s.at)))
		at := time.Now()
		if s.status == "RUNNING" {
			sim.Put(project, dcssim.Task{ID: s.id, Name: s.name, Status: "RUNNING", CreatedAt: at.UTC(), UserName: "ops"})
		} else if err := sim.SetStatus(project, s.id, s.status); err != nil {
			return detectResult{}, err
		}
		mu.Lock()
		changed[s.id+" "+s.status] = at
		mu.Unlock()
	}
	// Every task ends with an event in SUCCESS: a status change, or a creation when the
	// task started and ended between two polls.
	_, err = waitFor(detectInterval+5*time.Second, "every event", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, t := range p {
			if _, ok := seen[t.id+" SUCCESS"]; !ok {
				return false
			}
		}
		return true
	})
	if err != nil {
		return detectResult{}, fmt.Errorf("%s: %w", mode, err)
	}
	var res detectResult
	res.requests = sim.Requests(project) - req0
	mu.Lock()
	defer mu.Unlock()
	for _, t := range p {
		started, ended := changed[t.id+" RUNNING"], changed[t.id+" SUCCESS"]
		sawRun, ok := seen[t.id+" RUNNING"]
		if !ok { // never seen running: its first event is its creation, already finished
			res.missed++
			res.starts = append(res.starts, seen[t.id+" SUCCESS"].Sub(started))
			continue
		}
		res.starts = append(res.starts, sawRun.Sub(started))
		res.ends = append(res.ends, seen[t.id+" SUCCESS"].Sub(ended))
	}
	return res, nil
}
