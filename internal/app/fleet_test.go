package app_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promtest "github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/metrics"
	"notifier/internal/testkit/testutil"
)

const (
	fleetAKA, fleetSKA = "FLEETAKAAAAAAAAAAAAA", "fleet-sk-a-never-logged"
	fleetAKB, fleetSKB = "FLEETAKBBBBBBBBBBBBB", "fleet-sk-b-never-logged"
	fleetP1            = "11111111111111111111111111111111"
	fleetP2            = "22222222222222222222222222222222"
	fleetP3            = "33333333333333333333333333333333"
)

// fleetSim is a simulator holding two accounts, A (the [dcs] credential) and B.
func fleetSim(t *testing.T, o dcssim.Options) (*dcssim.Sim, string) {
	t.Helper()
	o.AK, o.SK = fleetAKA, fleetSKA
	sim := dcssim.New(o)
	sim.AddAccount(fleetAKB, fleetSKB)
	api := httptest.NewServer(sim)
	t.Cleanup(api.Close)
	return sim, api.URL
}

// fleetConfig is a file-backend configuration without sinks or HTTP whose [dcs]
// credential is account A's.
func fleetConfig(t *testing.T, logs *lockedBuffer) (*config.Config, app.Deps, map[string]string) {
	t.Helper()
	cfg := config.Default()
	cfg.DCS.AKEnv, cfg.DCS.SKEnv, cfg.DCS.SecurityTokenEnv = "A_AK", "A_SK", ""
	cfg.NATS.URL = ""
	cfg.State.Path = t.TempDir()
	cfg.HTTP.Listen = ""
	env := map[string]string{"A_AK": fleetAKA, "A_SK": fleetSKA, "B_AK": fleetAKB, "B_SK": fleetSKB}
	var mu sync.Mutex
	getenv := func(k string) string {
		mu.Lock()
		defer mu.Unlock()
		return env[k]
	}
	var w = zerolog.NewTestWriter(t)
	log := zerolog.New(w).Level(zerolog.WarnLevel)
	if logs != nil {
		log = zerolog.New(zerolog.MultiLevelWriter(w, logs)).Level(zerolog.InfoLevel)
	}
	return &cfg, app.Deps{Log: log, Version: "test", Getenv: getenv}, env
}

func seedFleet(sim *dcssim.Sim, projectID string) {
	now := time.Now().UTC()
	sim.Put(projectID, dcssim.Task{ID: projectID[:4] + "-old", Name: "EXTEND", Status: "SUCCESS", CreatedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Hour)})
	sim.Put(projectID, dcssim.Task{ID: projectID[:4] + "-run", Name: "AddReplica", Status: "RUNNING", CreatedAt: now.Add(-time.Minute)})
}

// TestProjectCredentialsPerAccount: a project with its own ak_env/sk_env is polled with
// them, the others with [dcs]'s; the simulator checks each signature with the key's own
// secret and refuses another account's key. A missing variable names the project's key.
func TestProjectCredentialsPerAccount(t *testing.T) {
	sim, url := fleetSim(t, dcssim.Options{})
	sim.AddProjectFor(fleetAKA, fleetP1, "")
	sim.AddProjectFor(fleetAKB, fleetP2, "")
	seedFleet(sim, fleetP1)
	seedFleet(sim, fleetP2)
	cfg, deps, env := fleetConfig(t, nil)
	cfg.DCS.Projects = []config.Project{
		{Region: "cn-north-4", ProjectID: fleetP1, Endpoint: url},
		{Region: "cn-north-4", ProjectID: fleetP2, Endpoint: url, AKEnv: "B_AK", SKEnv: "B_SK"},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	deps.DryRun = true
	a, err := app.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = a.Once(t.Context(), &out)
	a.Close()
	if err != nil {
		t.Fatalf("each project polled with its account's key: %v", err)
	}
	if st := sim.Stats(); st.ByStatus[401] != 0 || sim.Requests(fleetP1) == 0 || sim.Requests(fleetP2) == 0 {
		t.Fatalf("requests: %v, p1 %d, p2 %d", st.ByStatus, sim.Requests(fleetP1), sim.Requests(fleetP2))
	}

	// The control: project 2 without its own keys is refused (A's key, B's project).
	cfg.DCS.Projects[1].AKEnv, cfg.DCS.Projects[1].SKEnv = "", ""
	a, err = app.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	err = a.Once(t.Context(), &out)
	a.Close()
	if err == nil || !strings.Contains(err.Error(), fleetP2) {
		t.Fatalf("project 2 with A's key: %v, want it refused", err)
	}

	delete(env, "B_SK")
	cfg.DCS.Projects[1].AKEnv, cfg.DCS.Projects[1].SKEnv = "B_AK", "B_SK"
	a, err = app.New(cfg, deps)
	if err == nil {
		a.Close()
		t.Fatal("New without B_SK succeeded")
	}
	if !strings.Contains(err.Error(), "dcs.projects[1].sk_env: not set in the environment: B_SK") ||
		strings.Contains(err.Error(), fleetAKB) || strings.Contains(err.Error(), fleetSKA) {
		t.Fatalf("error %q: want the key named, no secret", err)
	}
}

// TestDiscovery: [[dcs.discover]] watches the projects IAM lists for the credential in the
// regions asked (an explicit project wins), baselines them silently even with
// poll.initial = "notify", and a refresh that finds a project added or removed asks for a
// reload, whose App watches the new list.
func TestDiscovery(t *testing.T) {
	sim, url := fleetSim(t, dcssim.Options{})
	sim.AddProjectFor(fleetAKB, fleetP1, "cn-north-4")
	sim.AddProjectFor(fleetAKB, fleetP2, "ap-southeast-1_team")
	sim.AddProjectFor(fleetAKB, "44444444444444444444444444444444", "MOS") // not a region
	sim.AddProjectFor(fleetAKA, fleetP3, "cn-east-3")                      // another account
	for _, p := range []string{fleetP1, fleetP2, fleetP3} {
		seedFleet(sim, p)
	}
	var logs lockedBuffer
	cfg, deps, _ := fleetConfig(t, &logs)
	cfg.Poll.Initial = "notify"
	cfg.DCS.Projects = []config.Project{{Name: "explicit", Region: "cn-east-3", ProjectID: fleetP3, Endpoint: url}}
	cfg.DCS.Discover = []config.Discover{{Name: "acct-b", Regions: []string{"*"}, AKEnv: "B_AK", SKEnv: "B_SK",
		IAMEndpoint: url, Endpoint: url, Refresh: config.DefaultDiscoverRefresh}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	deps.DryRun = true
	deps.Registry = prometheus.NewRegistry()
	deps.Metrics = metrics.New(deps.Registry, "test")
	a, err := app.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	if n := promtest.ToFloat64(deps.Metrics.Discovered.WithLabelValues("dcs.discover[0]")); n != 2 {
		t.Errorf("notifier_discovered_projects{discover=\"dcs.discover[0]\"} = %g, want 2", n)
	}
	if got := app.ProjectNames(a); strings.Join(got, ",") != "explicit,acct-b/ap-southeast-1_team,acct-b/cn-north-4" {
		t.Errorf("projects watched: %v", got)
	}
	var out bytes.Buffer
	if err := a.Once(t.Context(), &out); err != nil {
		t.Fatal(err)
	}
	a.Close()
	// Only the explicit project announces its tasks (poll.initial = "notify").
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !strings.Contains(line, fleetP3) {
			t.Errorf("a discovered project announced a task at its first poll: %s", line)
		}
	}
	if !strings.Contains(out.String(), fleetP3) {
		t.Fatalf("the explicit project with poll.initial = notify announced nothing: %q", out.String())
	}
	if strings.Contains(logs.String(), fleetSKB) || strings.Contains(logs.String(), fleetAKB) {
		t.Fatal("a credential in the logs")
	}

	// Only listed regions are watched.
	cfg.DCS.Discover[0].Regions = []string{"cn-north-4"}
	a, err = app.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	if got := app.ProjectNames(a); strings.Join(got, ",") != "explicit,acct-b/cn-north-4" {
		t.Errorf("projects watched in cn-north-4: %v", got)
	}
	a.Close()

	// A refresh finding a new project asks for a reload; the next App watches it.
	cfg.DCS.Discover[0].Regions = []string{"*"}
	reloads := make(chan struct{}, 1)
	deps.DryRun = false
	deps.Rediscover = func() { reloads <- struct{}{} }
	cfg.DCS.Discover[0].Refresh = config.Duration(20 * time.Millisecond) // below the 1m the file allows
	const p5 = "55555555555555555555555555555555"
	for _, step := range []struct {
		change func()
		want   string
	}{
		{func() { sim.AddProjectFor(fleetAKB, p5, "cn-south-1") }, "explicit,acct-b/ap-southeast-1_team,acct-b/cn-north-4,acct-b/cn-south-1"},
		{func() { sim.RemoveProject(fleetP2) }, "explicit,acct-b/cn-north-4,acct-b/cn-south-1"},
	} {
		a, err := app.New(cfg, deps)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		step.change()
		select {
		case <-reloads:
		case <-time.After(30 * time.Second):
			t.Fatal("no reload asked for after the project list changed")
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		a.Close()
		a, err = app.New(cfg, deps)
		if err != nil {
			t.Fatal(err)
		}
		if got := app.ProjectNames(a); strings.Join(got, ",") != step.want {
			t.Errorf("after the change: %v, want %s", got, step.want)
		}
		a.Close()
	}
}

// TestBudgetAcrossProjects: twelve projects of one access key at poll.interval 1s want 12
// requests a second; at dcs.max_requests_per_second = 5 the simulator, counting by its own
// clock, never sees more than 5 in a second (one more allowed for the network's jitter),
// and the other account's project has a budget of its own.
func TestBudgetAcrossProjects(t *testing.T) {
	sim, url := fleetSim(t, dcssim.Options{RecordArrivals: true})
	cfg, deps, _ := fleetConfig(t, nil)
	for i := range 12 {
		id := strings.Repeat(string("0123456789ab"[i]), 32)
		sim.AddProjectFor(fleetAKA, id, "")
		cfg.DCS.Projects = append(cfg.DCS.Projects, config.Project{Region: "cn-north-4", ProjectID: id, Endpoint: url})
	}
	sim.AddProjectFor(fleetAKB, "ffffffffffffffffffffffffffffffff", "")
	cfg.DCS.Projects = append(cfg.DCS.Projects, config.Project{Region: "cn-north-4", ProjectID: "ffffffffffffffffffffffffffffffff",
		Endpoint: url, AKEnv: "B_AK", SKEnv: "B_SK"})
	cfg.DCS.MaxRequestsPerSecond = 5
	cfg.Poll.Interval, cfg.Poll.ActiveInterval = config.Every(time.Second), config.Duration(time.Second)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	testutil.Eventually(t, "40 requests of account A", func() bool { return len(sim.Arrivals(fleetAKA)) >= 40 })
	cancel()
	<-done
	at := sim.Arrivals(fleetAKA)
	most := 0
	for i := range at {
		n := 0
		for j := i; j < len(at) && at[j].Sub(at[i]) < time.Second; j++ {
			n++
		}
		most = max(most, n)
	}
	if most > 6 {
		t.Errorf("%d requests of one access key within a second at a budget of 5", most)
	}
	// Account B's project has a budget of its own.
	if app.SameBudget(a, strings.Repeat("0", 32), "ffffffffffffffffffffffffffffffff") ||
		!app.SameBudget(a, strings.Repeat("0", 32), strings.Repeat("1", 32)) {
		t.Error("budgets are not one per access key")
	}
}

// lockedBuffer keeps log lines written from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDiscoveryListsEntriesAtOnce: the entries are listed together, so a slow IAM endpoint
// delays a start by one timeout, not one per entry. The IAM endpoint here answers nobody
// until both entries' requests have arrived (or refuses after a while): listed one after
// the other, the first listing would fail and its projects would be missing.
func TestDiscoveryListsEntriesAtOnce(t *testing.T) {
	sim, _ := fleetSim(t, dcssim.Options{})
	sim.AddProjectFor(fleetAKA, fleetP1, "cn-north-4")
	sim.AddProjectFor(fleetAKB, fleetP2, "cn-east-3")
	var mu sync.Mutex
	arrived, both := 0, make(chan struct{})
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/v3/auth/projects") {
			mu.Lock()
			if arrived++; arrived == 2 {
				close(both)
			}
			mu.Unlock()
			select {
			case <-both:
			case <-time.After(5 * time.Second):
				http.Error(w, `{"error":{"code":500,"message":"the other listing never came"}}`, http.StatusInternalServerError)
				return
			}
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(api.Close)
	cfg, deps, _ := fleetConfig(t, nil)
	cfg.DCS.Discover = []config.Discover{
		{Name: "a", Regions: []string{"*"}, AKEnv: "A_AK", SKEnv: "A_SK", IAMEndpoint: api.URL, Endpoint: api.URL, Refresh: config.DefaultDiscoverRefresh},
		{Name: "b", Regions: []string{"*"}, AKEnv: "B_AK", SKEnv: "B_SK", IAMEndpoint: api.URL, Endpoint: api.URL, Refresh: config.DefaultDiscoverRefresh},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	deps.DryRun = true
	a, err := app.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if got := strings.Join(app.ProjectNames(a), ","); got != "a/cn-north-4,b/cn-east-3" {
		t.Fatalf("projects watched: %q, want both entries' projects", got)
	}
}
