// Command perf measures the notifier end to end against the DCS simulator and an
// in-process NATS server, and prints one table: figure, target, measured, pass/fail.
// scripts/bench runs it after the Go benchmarks, whose output it reads with -bench.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// row is one line of the table.
type row struct {
	figure, target, measured string
	pass                     bool
}

const (
	project = "0123456789abcdef0123456789abcdef"
	ak, sk  = "PERFBENCHAK000000001", "perf-bench-sk-000000000000000000000"
)

func main() { os.Exit(run()) }

func run() int {
	if os.Getenv(pollServerEnv) != "" {
		return servePoll()
	}
	benchFile := flag.String("bench", "", "output of go test -bench to read figures 2 and 3 from")
	only := flag.String("run", "api,poll,burst,detect,idle,fleet", "measurements to run, comma-separated")
	idleFor := flag.Duration("idle", 5*time.Minute, "how long to watch the idle notifier")
	detectN := flag.Int("detect-n", 200, "status transitions to time")
	detectSpan := flag.Duration("detect-span", 90*time.Second, "over how long the transitions are spread")
	fleetN := flag.Int("fleet-n", 1000, "fleet: projects in one process")
	fleetWatch := flag.Duration("fleet-watch", 3*time.Minute, "fleet: how long the steady state is watched (each run)")
	fleetSamples := flag.Int("fleet-samples", 100, "fleet: task ends timed in the active project")
	fleetBackends := flag.String("fleet-backends", "file,nats-kv", "fleet: state backends to measure, comma-separated")
	fleetReplicas := flag.Int("fleet-replicas", 3, "fleet: also run the nats-kv fleet on this many replicas with cluster.shards of the same (1: not)")
	flag.StringVar(&profilePrefix, "profile", "", "burst, poll, fleet: write CPU, block, mutex and allocation profiles of each burst (from its poll to its last NATS delivery) and of the first run of poll to PREFIX-RUN.{cpu,block,mutex,allocs0,allocs1}.pprof (RUN: core, js, core-budget10, poll); fleet: the CPU and heap profiles of each notifier process over the watch to PREFIX-fleet-BACKEND-N-REPLICA.{cpu,heap}.pprof")
	pollRuns := flag.Int("poll-runs", 5, "poll: runs, the median is reported")
	pollPolls := flag.Int("poll-polls", 15, "poll: polls in each run")
	env := flag.String("fleet-env", "", "fleet: NAME=VALUE pairs (space-separated) added to the notifier's environment, e.g. GOMEMLIMIT=120MiB")
	flag.Parse()
	fleetEnv = strings.Fields(*env)

	ctx := context.Background()
	var rows []row
	if *benchFile != "" {
		r, err := benchRows(*benchFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "perf:", err)
			return 1
		}
		rows = append(rows, r...)
	}
	steps := map[string]func() ([]row, error){
		"api":    func() ([]row, error) { return measureAPI(ctx) },
		"poll":   func() ([]row, error) { return measurePoll(ctx, *pollRuns, *pollPolls) },
		"burst":  func() ([]row, error) { return measureBurst(ctx) },
		"detect": func() ([]row, error) { return measureDetect(ctx, *detectN, *detectSpan) },
		"idle":   func() ([]row, error) { return measureIdle(ctx, *idleFor) },
		"fleet": func() ([]row, error) {
			return measureFleet(ctx, *fleetN, *fleetWatch, *fleetSamples, *fleetBackends, *fleetReplicas)
		},
	}
	failed := false
	for _, name := range strings.Split(*only, ",") {
		f, ok := steps[strings.TrimSpace(name)]
		if !ok {
			fmt.Fprintf(os.Stderr, "perf: unknown measurement %q\n", name)
			return 2
		}
		fmt.Fprintf(os.Stderr, "perf: measuring %s...\n", name)
		r, err := f()
		if err != nil {
			fmt.Fprintf(os.Stderr, "perf: %s: %v\n", name, err)
			rows = append(rows, row{figure: name, target: "runs", measured: err.Error()})
			continue
		}
		rows = append(rows, r...)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 1, ' ', tabwriter.Debug)
	fmt.Fprintln(tw, "| figure\t target\t measured\t result\t")
	fmt.Fprintln(tw, "|---\t---\t---\t---\t")
	for _, r := range rows {
		res := "PASS"
		if !r.pass {
			res, failed = "FAIL", true
		}
		fmt.Fprintf(tw, "| %s\t %s\t %s\t %s\t\n", r.figure, r.target, r.measured, res)
	}
	tw.Flush()
	if failed {
		return 1
	}
	return 0
}
