package fleet

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promtest "github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"notifier/internal/config"
	"notifier/internal/dcs"
	"notifier/internal/dcssim"
	"notifier/internal/metrics"
	"notifier/internal/secret"
)

const (
	akA, skA = "FLEETPKGAKAAAAAAAAAA", "fleet-pkg-sk-a-never-shown"
	akB, skB = "FLEETPKGAKBBBBBBBBBB", "fleet-pkg-sk-b-never-shown"
	p1, p2   = "11111111111111111111111111111111", "22222222222222222222222222222222"
	p3       = "33333333333333333333333333333333"
)

// The rule run and probe share: dcs.projects wins, then the first entry that lists a
// project; each project is given once, and what is not given says who has it.
func TestClaims(t *testing.T) {
	c := NewClaims([]config.Project{{ProjectID: p1}})
	d0 := &Discoverer{Key: "dcs.discover[0]", Entry: config.Discover{Name: "acct-a"}}
	d1 := &Discoverer{Key: "dcs.discover[1]"}
	found := []dcs.Discovered{{ID: p1, Name: "cn-north-4", Region: "cn-north-4"}, {ID: p2, Name: "cn-east-3_team", Region: "cn-east-3"}}
	sifted := []dcs.Skipped{{ID: p3, Name: "mars-1", Reason: dcs.SkipNoDCS}}
	watch, skipped := c.Take(d0, Listing{Found: found, Skipped: sifted})
	if len(watch) != 1 || watch[0] != (config.Project{Name: "acct-a/cn-east-3_team", Region: "cn-east-3", ProjectID: p2}) {
		t.Errorf("dcs.discover[0] watches %+v, want %s only, named after the entry", watch, p2)
	}
	if len(skipped) != 2 || skipped[0] != sifted[0] || skipped[1] != (dcs.Skipped{ID: p1, Name: "cn-north-4", Reason: SkipExplicit}) {
		t.Errorf("dcs.discover[0] skips %+v, want the listing's, then %s as explicit", skipped, p1)
	}
	watch, skipped = c.Take(d1, Listing{Found: found})
	if len(watch) != 0 || len(skipped) != 2 || skipped[1].Reason != "found by dcs.discover[0] first, which wins" {
		t.Errorf("dcs.discover[1] watches %+v and skips %+v, want nothing watched, %s found by dcs.discover[0] first", watch, skipped, p2)
	}
	if why := c.Claim(p3, "dcs.discover[1]"); why != "" {
		t.Errorf("an unclaimed project is refused: %s", why)
	}
}

// One budget per access key, whatever key configures it; a reload's fleet keeps them.
func TestBudgetPerAccessKey(t *testing.T) {
	reg := prometheus.NewRegistry()
	f := New(Options{DCS: config.DCS{MaxRequestsPerSecond: 10}, Metrics: metrics.New(reg, "test")})
	a := dcs.Credentials{AK: secret.Secret(akA), SK: secret.Secret(skA)}
	b := dcs.Credentials{AK: secret.Secret(akB), SK: secret.Secret(skB)}
	ba := f.Budget(a, "dcs")
	if f.Budget(a, "dcs.projects[1]") != ba || f.Budget(b, "dcs.projects[2]") == ba {
		t.Fatal("budgets are not one per access key")
	}
	if f.members[ba] != 2 {
		t.Errorf("the budget of the first key counts %d projects, want 2", f.members[ba])
	}
	next := New(Options{DCS: config.DCS{MaxRequestsPerSecond: 10}})
	next.Keep(f)
	if next.Budget(a, "dcs") != ba || next.members[ba] != 1 {
		t.Error("the fleet of a reload does not keep the budget of a running access key, counting its projects afresh")
	}
}

// A single project starts at once; several spread over the time their budget needs, the
// same at every start, never past the interval.
func TestStartDelay(t *testing.T) {
	if d := startDelay(p1, 1, 5, time.Minute); d != 0 {
		t.Errorf("a budget's only project waits %v", d)
	}
	d := startDelay(p1, 10, 5, time.Minute)
	if d <= 0 || d >= 2*time.Second || d != startDelay(p1, 10, 5, time.Minute) {
		t.Errorf("project 1 of 10 at 5/s waits %v, want a fixed delay within 2s", d)
	}
	if d := startDelay(p1, 1000, 1, time.Minute); d >= time.Minute {
		t.Errorf("a start delay of %v is past the interval", d)
	}
}

// Refresh lists the entries again every refresh and asks once for a reload when what an
// entry finds changed; the client of a project found is built with the same constructor
// as a configured one's.
func TestRefreshAsksOnChange(t *testing.T) {
	sim := dcssim.New(dcssim.Options{AK: akA, SK: skA})
	sim.AddProjectFor(akA, p1, "cn-north-4")
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	cfg := config.Default()
	cfg.DCS.AKEnv, cfg.DCS.SKEnv, cfg.DCS.SecurityTokenEnv = "A_AK", "A_SK", ""
	cfg.DCS.Discover = []config.Discover{{Regions: []string{"cn-north-4"}, IAMEndpoint: srv.URL, Endpoint: srv.URL,
		Refresh: config.Duration(10 * time.Millisecond)}}
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "test")
	env := map[string]string{"A_AK": akA, "A_SK": skA}
	f := New(Options{DCS: cfg.DCS, Getenv: func(k string) string { return env[k] }, Metrics: m})
	ds, err := f.Discoverers()
	if err != nil {
		t.Fatal(err)
	}
	l := ds[0].List(t.Context(), ListTimeout(cfg.DCS))
	if l.Err != nil || l.Listed != 1 || len(l.Found) != 1 {
		t.Fatalf("first listing: %+v", l)
	}
	ds[0].Record(l, m)
	watch, _ := NewClaims(nil).Take(ds[0], l)
	if _, err := f.Client(watch[0], ds[0].Creds, ds[0].Key); err != nil {
		t.Fatalf("the client of a discovered project: %v", err)
	}

	changed := make(chan struct{}, 10)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Refresh(ctx, ds, RefreshOptions{Log: zerolog.Nop(), Metrics: m, Changed: func() { changed <- struct{}{} },
			Timeout: func() time.Duration { return ListTimeout(cfg.DCS) }})
	}()
	sim.AddProjectFor(akA, p2, "cn-north-4_team")
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("no reload asked for within 10s of a project added")
	}
	cancel()
	<-done
	if got := strings.Join(ds[0].Known(), ","); got != p1+","+p2 {
		t.Errorf("known after the refresh: %s, want both projects", got)
	}
	if n := promtest.ToFloat64(m.Discovered.WithLabelValues("dcs.discover[0]")); n != 2 {
		t.Errorf("notifier_discovered_projects = %g, want 2", n)
	}
	if len(changed) != 0 {
		t.Errorf("%d more reloads asked for one change", len(changed))
	}
}

// A receiver calling another API with a project's access key (SMN) shares its budget,
// counting no project on it; a key no project uses gets a budget of its own.
func TestSharedBudget(t *testing.T) {
	f := New(Options{DCS: config.DCS{MaxRequestsPerSecond: 10}})
	a := dcs.Credentials{AK: secret.Secret(akA), SK: secret.Secret(skA)}
	b := dcs.Credentials{AK: secret.Secret(akB), SK: secret.Secret(skB)}
	ba := f.Budget(a, "dcs")
	if f.SharedBudget(a, "smn[0]") != ba || f.members[ba] != 1 {
		t.Errorf("SharedBudget: not the project's budget, or counted as a project (%d)", f.members[ba])
	}
	bb := f.SharedBudget(b, "smn[1]")
	if bb == ba || f.SharedBudget(b, "smn[2]") != bb || f.members[bb] != 0 {
		t.Error("a key of receivers only: not one budget of its own, or counted as a project")
	}
}
