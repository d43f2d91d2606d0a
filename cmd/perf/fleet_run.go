package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"

	"notifier/internal/dcssim"
)

// runFleet runs the binary against n projects (n = 1: the active one alone, configured
// explicitly) and measures it for watch.
func runFleet(ctx context.Context, bin, dir, natsURL, backend string, n int, watch time.Duration, samples, replicas int) (*fleetRun, error) {
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
		"[log]\nlevel = \"warn\"\n\n")
	prefix := "dcs.tasks"
	run := fmt.Sprintf("%d", n)
	if replicas > 1 {
		run = fmt.Sprintf("%dx%d", n, replicas)
		fmt.Fprintf(&b, "[cluster]\nshards = %d\n\n", replicas)
	}
	if backend == "nats-kv" {
		prefix = fmt.Sprintf("kv%s.tasks", run) // one stream per run: their subjects must not overlap
		fmt.Fprintf(&b, "[state]\nbackend = \"nats-kv\"\nbucket = \"fleet_%s\"\n\n[nats]\nurl = %q\njetstream = true\nstream = \"FLEET_%s\"\nsubject_prefix = %q\n\n",
			run, natsURL, run, prefix)
	} else {
		fmt.Fprintf(&b, "[state]\npath = %q\n\n[nats]\nurl = %q\n\n", state, natsURL)
	}
	// One configuration per replica: they differ in the status page's address only (read
	// to learn which shards each leads).
	var cfgPaths, statusURLs []string
	for i := range max(replicas, 1) {
		listen := ""
		if replicas > 1 {
			port, err := freePort()
			if err != nil {
				return nil, err
			}
			listen = fmt.Sprintf("127.0.0.1:%d", port)
			statusURLs = append(statusURLs, "http://"+listen+"/status?format=json")
		}
		cfgPath := filepath.Join(dir, fmt.Sprintf("fleet-%s-%s-%d.toml", backend, run, i))
		if err := os.WriteFile(cfgPath, []byte(b.String()+fmt.Sprintf("[http]\nlisten = %q\n", listen)), 0o600); err != nil {
			return nil, err
		}
		cfgPaths = append(cfgPaths, cfgPath)
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

	var pids []int
	for _, cfgPath := range cfgPaths {
		cmd := exec.CommandContext(ctx, bin, "run", "--config", cfgPath)
		cmd.Env = append(append(os.Environ(), r.env...), fleetEnv...)
		if profilePrefix != "" {
			cmd.Env = append(cmd.Env, fmt.Sprintf("NOTIFIER_PERF_PROFILE=%s-fleet-%s-%s-%d", profilePrefix, backend, run, len(pids)))
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		defer func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
		}()
		pids = append(pids, cmd.Process.Pid)
	}
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
	if len(statusURLs) > 0 {
		// The first replica up leads every shard, then hands them over one per lease TTL.
		if _, err := waitFor(5*time.Minute, "one shard led by each replica", func() bool {
			for _, u := range statusURLs {
				if led, _, err := shardsLed(u); err != nil || led != 1 {
					return false
				}
			}
			return true
		}); err != nil {
			return nil, err
		}
	}
	time.Sleep(5 * time.Second) // start-up is not steady state
	cpu0 := make([]int, len(pids))
	for i, pid := range pids {
		if cpu0[i], err = cpuTicks(pid); err != nil {
			return nil, err
		}
	}
	req0, t0 := sim.Stats().Requests, time.Now()
	signalAll(pids, syscall.SIGUSR1) // with -profile: the CPU profile of the watch

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
	r.replicaRSSKB = make([]int, len(pids))
	for deadline := t0.Add(watch); time.Now().Before(deadline); {
		time.Sleep(min(time.Second, time.Until(deadline)))
		for i, pid := range pids {
			rss, err := rssKB(pid)
			if err != nil {
				return nil, fmt.Errorf("the notifier exited: %w", err)
			}
			r.replicaRSSKB[i] = max(r.replicaRSSKB[i], rss)
			r.maxRSSKB = max(r.maxRSSKB, rss)
		}
	}
	r.wall, r.requests = time.Since(t0), sim.Stats().Requests-req0
	signalAll(pids, syscall.SIGUSR2)
	for i, pid := range pids {
		cpu1, err := cpuTicks(pid)
		if err != nil {
			return nil, err
		}
		r.replicaTicks = append(r.replicaTicks, cpu1-cpu0[i])
		r.cpuTicks = max(r.cpuTicks, cpu1-cpu0[i]) // the busiest replica
	}
	for _, u := range statusURLs {
		led, projects, err := shardsLed(u)
		if err != nil {
			return nil, err
		}
		if led != 1 {
			return nil, fmt.Errorf("%s leads %d shards at the end of the watch", u, led)
		}
		r.replicaProjects = append(r.replicaProjects, projects)
	}
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

// shardsLed reads a replica's status page: how many shards it leads, and their projects.
func shardsLed(url string) (led, projects int, err error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	var page struct {
		Cluster *struct {
			Shards []struct {
				Projects    []string `json:"projects"`
				ThisReplica bool     `json:"this_replica"`
			} `json:"shards"`
		} `json:"cluster"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return 0, 0, fmt.Errorf("status page %s: %w", url, err)
	}
	if page.Cluster == nil {
		return 0, 0, fmt.Errorf("status page %s: no cluster section", url)
	}
	for _, sh := range page.Cluster.Shards {
		if sh.ThisReplica {
			led++
			projects += len(sh.Projects)
		}
	}
	return led, projects, nil
}

// freePort is a TCP port nothing listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// signalAll sends sig to every pid when profiles are asked for (-profile; the binary
// was built with cmd/notifier/perfprofile.go, which handles SIGUSR1 and SIGUSR2).
func signalAll(pids []int, sig syscall.Signal) {
	if profilePrefix == "" {
		return
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, sig)
	}
}
