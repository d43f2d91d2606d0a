package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"

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
}

// fleetEnv is added to the notifier's environment only (-fleet-env), such as GOMEMLIMIT.
var fleetEnv []string

func measureFleet(ctx context.Context, n int, watch time.Duration, samples int, backends string) ([]row, error) {
	dir, err := os.MkdirTemp("", "perf-fleet-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "notifier")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/notifier").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/notifier (run from the module root): %v: %s", err, out)
	}
	ns, stop, err := startNATS()
	if err != nil {
		return nil, err
	}
	defer stop()

	var rows []row
	for _, backend := range strings.Split(backends, ",") {
		backend = strings.TrimSpace(backend)
		fleet, err := runFleet(ctx, bin, dir, ns.ClientURL(), backend, n, watch, samples)
		if err != nil {
			return nil, fmt.Errorf("fleet (%s): %w", backend, err)
		}
		alone, err := runFleet(ctx, bin, dir, ns.ClientURL(), backend, 1, watch, samples)
		if err != nil {
			return nil, fmt.Errorf("single project (%s): %w", backend, err)
		}
		rows = append(rows, fleetRows(backend, n, watch, fleet, alone)...)
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
		{"7. fleet CPU share of one core (" + backend + ")", "≤ 5 %", fmt.Sprintf("%.2f %%", share), share <= 5},
		{"7. fleet RSS (" + backend + ")", "≤ 150 MB", fmt.Sprintf("%.1f MB (max VmRSS)", mb), mb <= 150},
		{"7. fleet requests per second per access key, simulator's clock, whole run (" + backend + ")", fmt.Sprintf("≤ %d (budget)", fleetBudget),
			fmt.Sprintf("max in any window of 1 s per key %v (in the watch %v); in a calendar second %v; mean rate %.1f/s",
				fleet.perKey, fleet.perWatch, fleet.perCal, mean(fleet.rate)),
			most <= fleetBudget},
		{fmt.Sprintf("7. end of a running task → NATS, active project in the fleet, n=%d (%s)", len(fleet.latency), backend), "p99 ≤ 1.1 × alone",
			fmt.Sprintf("p50 %s, p99 %s; alone (n=%d): p50 %s, p99 %s", ms(f50), ms(f99), len(alone.latency), ms(s50), ms(s99)),
			float64(f99) <= 1.1*float64(s99)},
	}
}

// runFleet runs the binary against n projects (n = 1: the active one alone, configured
// explicitly) and measures it for watch.
func runFleet(ctx context.Context, bin, dir, natsURL, backend string, n int, watch time.Duration, samples int) (*fleetRun, error) {
	sim := dcssim.New(dcssim.Options{RecordArrivals: true, AK: func() string { a, _ := fleetKey(0); return a }(),
		SK: func() string { _, s := fleetKey(0); return s }()})
	for i := 1; i < fleetAccounts; i++ {
		sim.AddAccount(fleetKey(i))
	}
	now := time.Now().UTC()
	r := &fleetRun{sim: sim}
	for i := range n {
		id := fmt.Sprintf("f1ee7%027x", i)
		ak, _ := fleetKey(i % fleetAccounts)
		sim.AddProjectFor(ak, id, fmt.Sprintf("cn-north-4_fleet%04d", i))
		sim.PutAll(id, dcssim.SeedHistory(id, fleetTasks, now.Add(-23*time.Hour), now.Add(-time.Minute)))
		r.ids = append(r.ids, id)
	}
	active := r.ids[0]
	// The active project's running tasks: one ends at each sample, so it stays active.
	running := make([]string, samples)
	for i := range running {
		running[i] = fmt.Sprintf("active-%03d", i)
		sim.Put(active, dcssim.Task{ID: running[i], Name: "EXTEND", Status: "RUNNING", CreatedAt: now.Add(-30 * time.Second)})
	}
	api := httptest.NewServer(sim)
	defer api.Close()

	state := filepath.Join(dir, fmt.Sprintf("state-%s-%d", backend, n))
	var b strings.Builder
	fmt.Fprintf(&b, "[dcs]\nmax_requests_per_second = %d\n\n", fleetBudget)
	if n == 1 {
		ak, sk := fleetKey(0)
		r.env = append(r.env, "CLOUD_SDK_AK="+ak, "CLOUD_SDK_SK="+sk)
		fmt.Fprintf(&b, "[[dcs.projects]]\nregion = \"cn-north-4\"\nproject_id = %q\nendpoint = %q\n\n", active, api.URL)
	} else {
		for i := range fleetAccounts {
			ak, sk := fleetKey(i)
			r.env = append(r.env, fmt.Sprintf("FLEET_AK_%d=%s", i, ak), fmt.Sprintf("FLEET_SK_%d=%s", i, sk))
			fmt.Fprintf(&b, "[[dcs.discover]]\nname = \"acct%d\"\nregions = [\"*\"]\nak_env = \"FLEET_AK_%d\"\nsk_env = \"FLEET_SK_%d\"\n"+
				"iam_endpoint = %q\nendpoint = %q\n\n", i, i, i, api.URL, api.URL)
		}
	}
	fmt.Fprintf(&b, "[poll]\ninterval = \"30s\"\nactive_interval = \"1s\"\nfast_interval = \"0s\"\n\n"+
		"[http]\nlisten = \"\"\n\n[log]\nlevel = \"warn\"\n\n")
	prefix := "dcs.tasks"
	if backend == "nats-kv" {
		prefix = fmt.Sprintf("kv%d.tasks", n) // one stream per run: their subjects must not overlap
		fmt.Fprintf(&b, "[state]\nbackend = \"nats-kv\"\nbucket = \"fleet_%d\"\n\n[nats]\nurl = %q\njetstream = true\nstream = \"FLEET_%d\"\nsubject_prefix = %q\n",
			n, natsURL, n, prefix)
	} else {
		fmt.Fprintf(&b, "[state]\npath = %q\n\n[nats]\nurl = %q\n", state, natsURL)
	}
	cfgPath := filepath.Join(dir, fmt.Sprintf("fleet-%s-%d.toml", backend, n))
	if err := os.WriteFile(cfgPath, []byte(b.String()), 0o600); err != nil {
		return nil, err
	}

	nc, err := nats.Connect(natsURL)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	var mu sync.Mutex
	seen := map[string]time.Time{}
	sub, err := nc.Subscribe(prefix+"."+active+".>", func(m *nats.Msg) {
		at := time.Now()
		var ev struct {
			Subject string `json:"subject"`
			Data    struct {
				Task struct{ Status string } `json:"task"`
			} `json:"data"`
		}
		if json.Unmarshal(m.Data, &ev) == nil && ev.Data.Task.Status == "SUCCESS" {
			mu.Lock()
			if _, ok := seen[ev.Subject]; !ok {
				seen[ev.Subject] = at
			}
			mu.Unlock()
		}
	})
	if err != nil {
		return nil, err
	}
	defer sub.Unsubscribe()

	cmd := exec.CommandContext(ctx, bin, "run", "--config", cfgPath)
	cmd.Env = append(append(os.Environ(), r.env...), fleetEnv...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	pid := cmd.Process.Pid
	if _, err := waitFor(5*time.Minute, "the first poll of every project", func() bool {
		for _, id := range r.ids {
			if sim.Requests(id) == 0 {
				return false
			}
		}
		return true
	}); err != nil {
		return nil, err
	}
	time.Sleep(5 * time.Second) // start-up is not steady state
	cpu0, err := cpuTicks(pid)
	if err != nil {
		return nil, err
	}
	req0, t0 := sim.Stats().Requests, time.Now()

	// The schedule: samples ends of running tasks at random instants over the watch, and
	// a new finished task in another project every 5 s ("a few changing").
	rng := rand.New(rand.NewPCG(7, uint64(samples)))
	ends := make([]time.Duration, samples)
	for i := range ends {
		ends[i] = time.Duration(rng.Int64N(int64(watch - 2*time.Second)))
	}
	// In time order: the loop below sleeps until each in turn, so an end drawn earlier
	// than the one before it would fire at once after it, and the samples would come in
	// bunches seen by the same poll (one sample many times over).
	slices.Sort(ends)
	changed := map[string]time.Time{}
	var wg sync.WaitGroup
	wg.Go(func() {
		for i, d := range ends {
			time.Sleep(time.Until(t0.Add(d)))
			_ = sim.SetStatus(active, running[i], "SUCCESS")
			mu.Lock()
			changed[running[i]] = time.Now()
			mu.Unlock()
		}
	})
	if n > 1 {
		wg.Go(func() {
			for k := 0; time.Since(t0) < watch-5*time.Second; k++ {
				time.Sleep(5 * time.Second)
				id := r.ids[1+rng.IntN(n-1)]
				sim.Put(id, dcssim.Task{ID: fmt.Sprintf("new-%d", k), Name: "modify", Status: "SUCCESS",
					CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()})
			}
		})
	}
	for deadline := t0.Add(watch); time.Now().Before(deadline); {
		time.Sleep(min(time.Second, time.Until(deadline)))
		rss, err := rssKB(pid)
		if err != nil {
			return nil, fmt.Errorf("the notifier exited: %w", err)
		}
		r.maxRSSKB = max(r.maxRSSKB, rss)
	}
	cpu1, err := cpuTicks(pid)
	if err != nil {
		return nil, err
	}
	r.wall, r.cpuTicks, r.requests = time.Since(t0), cpu1-cpu0, sim.Stats().Requests-req0
	wg.Wait()
	time.Sleep(3 * time.Second) // the last ends reach NATS
	mu.Lock()
	for id, at := range changed {
		if got, ok := seen[id]; ok {
			r.latency = append(r.latency, got.Sub(at))
		}
	}
	mu.Unlock()
	for i := range fleetAccounts {
		ak, _ := fleetKey(i)
		at := sim.Arrivals(ak)
		r.perKey = append(r.perKey, mostInSecond(at))
		r.perCal = append(r.perCal, mostInCalendarSecond(at))
		from := sort.Search(len(at), func(i int) bool { return !at[i].Before(t0) })
		r.perWatch = append(r.perWatch, mostInSecond(at[from:]))
		if len(at) > 1 {
			r.rate = append(r.rate, float64(len(at)-1)/at[len(at)-1].Sub(at[0]).Seconds())
		}
	}
	return r, nil
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
