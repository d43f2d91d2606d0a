package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/dcssim"
)

// The workload of issue 30's side-by-side run: a task center of 3,000 tasks with realistic
// bodies (details, and params on the tasks whose operation has parameters), of which the
// window (lookback 24 h + margin 10 min) holds ~1,100: two pages, ~470 KB a poll, read
// once a second.
const (
	pollTasks           = 3000
	pollInWindow        = 1100
	pollIntervalDefault = time.Second
)

// pollInterval is the interval; PERF_POLL_INTERVAL changes it for experiments.
var pollInterval = func() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("PERF_POLL_INTERVAL")); err == nil {
		return d
	}
	return pollIntervalDefault
}()

// pollServerEnv makes perf the server of the poll measurement (the simulator and NATS) in a
// process of its own, so that its CPU is not counted with the notifier's.
const pollServerEnv = "PERF_POLL_SERVER"

// measurePoll (figure 8): the notifier (app.New, file state, NATS sink) polls one project of
// the workload above every second; the simulator and the NATS server run in a child
// process. Each run counts this process's CPU (user + system) and allocations over
// pollsPerRun polls of an unchanged listing, from half an interval after one poll starts
// to half an interval after another; the row gives the median of runs.
func measurePoll(ctx context.Context, runs, pollsPerRun int) ([]row, error) {
	srv, err := startPollServer(ctx)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	dir, err := os.MkdirTemp("", "perf-poll-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	c := config.Default()
	c.DCS.Projects = []config.Project{{Region: "cn-north-4", ProjectID: project, Endpoint: srv.api}}
	c.Poll.Interval = config.Every(pollInterval)
	c.Poll.ActiveInterval = config.Duration(pollInterval)
	c.State.Path = dir
	c.NATS.URL = srv.nats
	c.HTTP.Listen = ""
	env := map[string]string{"CLOUD_SDK_AK": ak, "CLOUD_SDK_SK": sk}
	tr := &pollCounter{polls: make(chan int, 64)}
	a, err := app.New(&c, app.Deps{Log: zerolog.Nop(), Getenv: func(k string) string { return env[k] },
		Registry: prometheus.NewRegistry(), Transport: tr, Version: "perf"})
	if err != nil {
		return nil, err
	}
	defer a.Close()
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() { cancel(); <-done }()

	// next waits for the start of the next poll (its first page's answer), then half an
	// interval: the poll is over, the next one not begun.
	next := func() (int, error) {
		select {
		case n := <-tr.polls:
			time.Sleep(pollInterval / 2)
			return n, nil
		case err := <-done:
			return 0, fmt.Errorf("the notifier stopped: %v", err)
		case <-time.After(30 * time.Second):
			return 0, fmt.Errorf("no poll for 30 s")
		}
	}
	for range 3 { // the baseline and two polls to warm up
		if _, err := next(); err != nil {
			return nil, err
		}
	}
	load0 := loadAvg()
	var cpus, allocs, bytes []float64
	for r := range runs {
		var stopProfiles func() error = func() error { return nil }
		if r == 0 {
			if stopProfiles, err = startProfiles("poll"); err != nil {
				return nil, err
			}
		}
		drain(tr.polls)
		n0, err := next()
		if err != nil {
			return nil, err
		}
		sys0, gc0 := sysTime(), numGC()
		cpu0, b0, o0 := cpuTime(), 0, 0
		{
			b, o := allocated()
			b0, o0 = int(b), int(o)
		}
		n1 := n0
		for n1 < n0+pollsPerRun {
			if n1, err = next(); err != nil {
				return nil, err
			}
		}
		cpu := cpuTime() - cpu0
		b1, o1 := allocated()
		if err := stopProfiles(); err != nil {
			return nil, err
		}
		polls := float64(n1 - n0)
		cpus = append(cpus, float64(cpu.Microseconds())/1000/polls)
		allocs = append(allocs, float64(int(o1)-o0)/polls)
		bytes = append(bytes, float64(int(b1)-b0)/polls)
		fmt.Fprintf(os.Stderr, "perf: poll run %d: %.0f polls, %.2f ms CPU per poll (%.2f ms system), %.0f allocs (%.0f KB) per poll, %d GCs\n",
			r+1, polls, cpus[r], float64((sysTime()-sys0).Microseconds())/1000/polls, allocs[r], bytes[r]/1024, numGC()-gc0)
	}
	load1 := loadAvg()
	med := func(v []float64) float64 { s := slices.Sorted(slices.Values(v)); return s[len(s)/2] }
	cpu := med(cpus)
	return []row{{
		figure: fmt.Sprintf("8. CPU per poll: %d tasks, %d in the window (%d pages, %.0f KB), one poll a second", pollTasks, srv.inWindow, srv.pages, float64(srv.bytes)/1024),
		target: "≤ 4 ms",
		measured: fmt.Sprintf("%.2f ms (median of %d runs of %d polls: %s), %.0f allocs and %.0f KB per poll; load %s → %s",
			cpu, runs, pollsPerRun, fmtList(cpus), med(allocs), med(bytes)/1024, load0, load1),
		pass: cpu <= 4,
	}}, nil
}

func fmtList(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(s, ", ")
}

func drain(c chan int) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}

// loadAvg is the machine's 1-minute load average, from /proc/loadavg.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// pollCounter counts polls by their first page's answers (offset=0), without waking the
// process in between.
type pollCounter struct {
	n     int
	polls chan int
}

func (p *pollCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if r.URL.Query().Get("offset") == "0" {
		p.n++ // one project: its polls never overlap
		select {
		case p.polls <- p.n:
		default:
		}
	}
	return resp, err
}

// pollServer is the child process serving the simulator and NATS.
type pollServer struct {
	api, nats              string
	inWindow, pages, bytes int
	stop                   func()
}

func startPollServer(ctx context.Context) (*pollServer, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), pollServerEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &pollServer{stop: func() { stdin.Close(); _ = cmd.Wait() }}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err == nil {
		_, err = fmt.Sscan(line, &s.api, &s.nats, &s.inWindow, &s.pages, &s.bytes)
	}
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("the poll server did not start: %v", err)
	}
	return s, nil
}

// servePoll is the child: it seeds the simulator, prints "API NATS IN_WINDOW PAGES BYTES"
// and serves until its standard input closes.
func servePoll() int {
	ns, stopNATS, err := startNATS()
	if err != nil {
		fmt.Fprintln(os.Stderr, "perf: poll server:", err)
		return 1
	}
	defer stopNATS()
	sim := dcssim.New(dcssim.Options{AK: ak, SK: sk})
	now := time.Now().UTC()
	window := 24*time.Hour + 10*time.Minute
	span := window * pollTasks / pollInWindow
	sim.PutAll(project, pollHistory(now.Add(-span), now.Add(-time.Minute)))
	api := httptest.NewServer(sim)
	defer api.Close()
	// What one poll reads, as the notifier will ask for it.
	pages, size, inWindow := 0, 0, 0
	for _, t := range sim.Tasks(project) {
		if t.CreatedAt.After(now.Add(-window)) {
			inWindow++
		}
	}
	pages = inWindow/1000 + 1
	for _, t := range sim.Tasks(project)[:inWindow] {
		b, _ := t.MarshalJSON()
		size += len(b) + 1
	}
	fmt.Printf("%s %s %d %d %d\n", api.URL, ns.ClientURL(), inWindow, pages, size)
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// pollHistory is SeedHistory with params on the tasks whose operation takes parameters,
// as a request's parameters in a JSON string.
func pollHistory(oldest, newest time.Time) []dcssim.Task {
	ts := dcssim.SeedHistory(project, pollTasks, oldest, newest)
	for i := range ts {
		t := &ts[i]
		switch t.Name {
		case "EXTEND":
			t.Params = fmt.Sprintf(`{"spec_code":"redis.ha.xu1.large.r2.%d","new_capacity":%d,"bss_param":{"is_auto_pay":true}}`, 1+i%8, 1+i%8)
		case "AddWhitelist":
			t.Params = fmt.Sprintf(`{"enable_whitelist":true,"whitelist":[{"group_name":"app","ip_list":["10.0.%d.0/24"]}]}`, i%250)
		case "modify":
			t.Params = `{"account_name":"default","password_changed":true}`
		}
	}
	return ts
}
