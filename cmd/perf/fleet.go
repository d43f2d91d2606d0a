package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"notifier/internal/dcssim"
)

// The fleet (figure 7): one notifier process watching n projects of several accounts,
// found by [[dcs.discover]] (IAM served by the simulator), 300 tasks each, interval 30s.
// Measured: its CPU per poll and share of one core, its RSS, the requests per second of
// each access key as the simulator saw them (by its clock), and the detection latency of
// one active project (active_interval 1s, fast_interval off) against the same project
// watched alone by the same binary.

const (
	fleetAccounts = 5
	fleetBudget   = 10
	fleetTasks    = 300
)

func fleetKey(i int) (string, string) {
	return fmt.Sprintf("FLEETAK%013d", i), fmt.Sprintf("fleet-sk-%d-0000000000000000000000", i)
}

// fleetRun is one notifier process against its own simulator.
type fleetRun struct {
	sim      *dcssim.Sim
	ids      []string // every project; ids[0] is the active one
	env      []string
	toml     string
	maxRSSKB int
	cpuTicks int
	wall     time.Duration
	requests int
	latency  []time.Duration
	perKey   []int // most requests in one second (any window [t, t+1s)), per access key
	perCal   []int // most requests in one calendar second, per access key
	perWatch []int // most requests in one second within the watch (steady state), per access key
	rate     []float64
	// With replicas: per replica, its largest RSS, its CPU ticks and the projects of the
	// shards it led at the end of the watch.
	replicaRSSKB, replicaTicks, replicaProjects []int
}

// fleetEnv is added to the notifier's environment only (-fleet-env), such as GOMEMLIMIT.
var fleetEnv []string

func measureFleet(ctx context.Context, n int, watch time.Duration, samples int, backends string, replicas int) ([]row, error) {
	dir, err := os.MkdirTemp("", "perf-fleet-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin, err := buildNotifier(ctx, dir)
	if err != nil {
		return nil, err
	}
	ns, stop, err := startNATS()
	if err != nil {
		return nil, err
	}
	defer stop()

	var rows []row
	for _, backend := range strings.Split(backends, ",") {
		backend = strings.TrimSpace(backend)
		fleet, err := runFleet(ctx, bin, dir, ns.ClientURL(), backend, n, watch, samples, 1)
		if err != nil {
			return nil, fmt.Errorf("fleet (%s): %w", backend, err)
		}
		alone, err := runFleet(ctx, bin, dir, ns.ClientURL(), backend, 1, watch, samples, 1)
		if err != nil {
			return nil, fmt.Errorf("single project (%s): %w", backend, err)
		}
		rows = append(rows, fleetRows(backend, n, watch, fleet, alone)...)
		if replicas > 1 && backend == "nats-kv" {
			shared, err := runFleet(ctx, bin, dir, ns.ClientURL(), backend, n, watch, samples, replicas)
			if err != nil {
				return nil, fmt.Errorf("fleet on %d replicas: %w", replicas, err)
			}
			rows = append(rows, replicaRows(n, replicas, shared, alone)...)
		}
	}
	return rows, nil
}

func fleetRows(backend string, n int, watch time.Duration, fleet, alone *fleetRun) []row {
	polls := max(fleet.requests, 1)
	perPoll := float64(fleet.cpuTicks) / clockTicks / float64(polls) * 1000
	share := float64(fleet.cpuTicks) / clockTicks / fleet.wall.Seconds() * 100
	mb := float64(fleet.maxRSSKB) / 1024
	most := 0
	for _, m := range fleet.perKey {
		most = max(most, m)
	}
	f50, f99, _ := stats(fleet.latency)
	s50, s99, _ := stats(alone.latency)
	if len(fleetEnv) > 0 {
		backend += " " + strings.Join(fleetEnv, " ")
	}
	label := fmt.Sprintf("%s, %d projects, %d keys, 300 tasks each, interval 30s, %v", backend, n, fleetAccounts, watch.Round(time.Second))
	return []row{
		{"7. fleet CPU per poll (" + label + ")", "report", fmt.Sprintf("%.2f ms (%d polls)", perPoll, polls), true},
		{"7. fleet CPU share of one core (" + backend + ")", "≤ 2.5 %", fmt.Sprintf("%.2f %%", share), share <= 2.5},
		{"7. fleet RSS (" + backend + ")", "≤ 100 MB", fmt.Sprintf("%.1f MB (max VmRSS)", mb), mb <= 100},
		{"7. fleet requests per second per access key, simulator's clock, whole run (" + backend + ")", fmt.Sprintf("≤ %d (budget)", fleetBudget),
			fmt.Sprintf("max in any window of 1 s per key %v (in the watch %v); in a calendar second %v; mean rate %.1f/s",
				fleet.perKey, fleet.perWatch, fleet.perCal, mean(fleet.rate)),
			most <= fleetBudget},
		{fmt.Sprintf("7. end of a running task → NATS, active project in the fleet, n=%d (%s)", len(fleet.latency), backend), "p99 ≤ 1.1 × alone",
			fmt.Sprintf("p50 %s, p99 %s; alone (n=%d): p50 %s, p99 %s", ms(f50), ms(f99), len(alone.latency), ms(s50), ms(s99)),
			float64(f99) <= 1.1*float64(s99)},
	}
}

// replicaRows are the figures of one fleet on several replicas (cluster.shards = replicas):
// what each carries, and the requests and latency of all of them together.
func replicaRows(n, replicas int, f, alone *fleetRun) []row {
	var shares, rss []string
	even := true
	for i := range f.replicaTicks {
		share := float64(f.replicaTicks[i]) / clockTicks / f.wall.Seconds() * 100
		shares = append(shares, fmt.Sprintf("%.2f %%", share))
		rss = append(rss, fmt.Sprintf("%.0f MB", float64(f.replicaRSSKB[i])/1024))
		// A third of the projects by the hash: within a tenth of n/replicas.
		if d := float64(f.replicaProjects[i]) - float64(n)/float64(replicas); d > 0.1*float64(n)/float64(replicas) || -d > 0.1*float64(n)/float64(replicas) {
			even = false
		}
	}
	most := 0
	for _, m := range f.perKey {
		most = max(most, m)
	}
	f50, f99, _ := stats(f.latency)
	_, s99, _ := stats(alone.latency)
	label := fmt.Sprintf("nats-kv, %d projects, cluster.shards = %d on %d replicas", n, replicas, replicas)
	return []row{
		{"7b. projects carried per replica (" + label + ")", "≈ n ÷ replicas", fmt.Sprintf("%v", f.replicaProjects), even},
		{"7b. CPU share of one core, RSS, per replica", "report", fmt.Sprintf("%s; %s", strings.Join(shares, ", "), strings.Join(rss, ", ")), true},
		{"7b. requests per access key, all replicas together, most in any 1 s", fmt.Sprintf("≤ %d (budget)", fleetBudget),
			fmt.Sprintf("%v (in the watch %v); mean rate %.1f/s", f.perKey, f.perWatch, mean(f.rate)), most <= fleetBudget},
		// Reported, not a target: the latency target is the one-process fleet's. Each
		// replica has its shards' part of every key's budget (dcs.Budget.SetShare), so the
		// active project's replica has a third of it for a third of the quiet projects plus
		// the active one.
		{fmt.Sprintf("7b. end of a running task → NATS, active project, n=%d", len(f.latency)), "report",
			fmt.Sprintf("p50 %s, p99 %s; alone p99 %s (%+.0f %%)", ms(f50), ms(f99), ms(s99), (float64(f99)/float64(s99)-1)*100), true},
	}
}

// mostInSecond is the most arrivals in any window [t, t+1s).
func mostInSecond(at []time.Time) int {
	most, j := 0, 0
	for i := range at {
		for j < len(at) && at[j].Sub(at[i]) < time.Second {
			j++
		}
		most = max(most, j-i)
	}
	return most
}

// mostInCalendarSecond is the most arrivals within one second of the clock, as a gateway
// counting per second sees them.
func mostInCalendarSecond(at []time.Time) int {
	n := map[int64]int{}
	most := 0
	for _, t := range at {
		k := t.Unix()
		n[k]++
		most = max(most, n[k])
	}
	return most
}

// mean is the arithmetic mean of v, 0 for none.
func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	return sum / float64(len(v))
}
