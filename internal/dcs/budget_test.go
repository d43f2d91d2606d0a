package dcs

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"notifier/internal/dcssim"
)

// fakeClock is a clock that only sleeping moves: Wait's sleeps advance it, so a budget's
// spacing is read exactly, with no wall time in the test.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return ctx.Err()
}

func (c *fakeClock) budget(perSecond float64) *Budget {
	return NewBudget(BudgetOptions{PerSecond: perSecond, Now: c.Now, Sleep: c.Sleep})
}

// maxInSecond is the most requests in any window of one second [t, t+1s).
func maxInSecond(at []time.Time) int {
	most := 0
	for i := range at {
		n := 0
		for j := i; j < len(at) && at[j].Sub(at[i]) < time.Second; j++ {
			n++
		}
		most = max(most, n)
	}
	return most
}

// TestBudgetSpacesRequests: 100 requests at a budget of 10/s are at least 100 ms apart, so
// no second holds more than 10, and they take 9.9 s.
func TestBudgetSpacesRequests(t *testing.T) {
	clk := newFakeClock()
	b := clk.budget(10)
	var at []time.Time
	for range 100 {
		if err := b.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
		at = append(at, clk.Now())
	}
	if got := maxInSecond(at); got > 10 {
		t.Errorf("%d requests within one second, budget 10", got)
	}
	if span := at[99].Sub(at[0]); span < 9900*time.Millisecond || span > 10*time.Second {
		t.Errorf("100 requests took %v, want 9.9s (and a millisecond each)", span)
	}
}

// TestBudgetThrottle: a throttling answer halves the credential's rate for SlowFor and
// pauses it for a Retry-After (not without one); then the full rate is back.
func TestBudgetThrottle(t *testing.T) {
	clk := newFakeClock()
	counted := 0
	b := NewBudget(BudgetOptions{PerSecond: 10, Now: clk.Now, Sleep: clk.Sleep, OnThrottle: func() { counted++ }})
	if err := b.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	t0 := clk.Now()
	b.Throttle(0)
	_ = b.Wait(t.Context())
	if got := clk.Now().Sub(t0); got > time.Second {
		t.Fatalf("first request after a throttle without Retry-After went %v later: paused, want only slowed", got)
	}
	if l := b.Limit(); l < 4.9 || l > 5 {
		t.Errorf("rate after a throttle %g, want 5", l)
	}
	prev := clk.Now()
	_ = b.Wait(t.Context())
	if gap := clk.Now().Sub(prev); gap < 200*time.Millisecond {
		t.Errorf("gap at half rate %v, want 200ms", gap)
	}
	_ = clk.Sleep(t.Context(), SlowFor)
	_ = b.Wait(t.Context())
	prev = clk.Now()
	_ = b.Wait(t.Context())
	if gap := clk.Now().Sub(prev); gap < 100*time.Millisecond || gap > 102*time.Millisecond || b.Limit() < 9.8 {
		t.Errorf("after SlowFor: gap %v at rate %g, want 100ms at 10", gap, b.Limit())
	}
	if counted != 1 {
		t.Errorf("OnThrottle called %d times, want 1", counted)
	}
	b.Throttle(7 * time.Second) // a Retry-After is honoured
	t1 := clk.Now()
	_ = b.Wait(t.Context())
	if got := clk.Now().Sub(t1); got < 7*time.Second {
		t.Errorf("Retry-After 7s: next request %v later", got)
	}
}

// TestThrottleSlowsTheCredentialNotOthers: the simulator answers 429 APIGW.0308 to one
// project of account A. The other project of A goes at half the rate; a project of
// account B at the full rate.
func TestThrottleSlowsTheCredentialNotOthers(t *testing.T) {
	const (
		a1, a2, b1 = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", "a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2", "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1"
		akB, skB   = "TESTAKBBBBBBBBBBBBBB", "test-sk-b-0123456789"
	)
	sim := dcssim.New(dcssim.Options{AK: ak, SK: sk})
	sim.AddAccount(akB, skB)
	sim.AddProjectFor(ak, a1, "cn-north-4")
	sim.AddProjectFor(ak, a2, "cn-east-3")
	sim.AddProjectFor(akB, b1, "cn-north-4")
	srv := httptest.NewServer(sim)
	defer srv.Close()
	clk := newFakeClock()
	budgetA, budgetB := clk.budget(10), clk.budget(10)
	lister := func(id string, c Credentials, b *Budget) Budgeted {
		return Budgeted{Lister: newClient(t, srv.URL, func(o *Options) { o.ProjectID, o.Credentials = id, c }), Budget: b}
	}
	pa1, pa2 := lister(a1, Credentials{AK: ak, SK: sk}, budgetA), lister(a2, Credentials{AK: ak, SK: sk}, budgetA)
	pb1 := lister(b1, Credentials{AK: akB, SK: skB}, budgetB)
	for _, l := range []Budgeted{pa1, pa2, pb1} {
		if _, err := l.List(t.Context(), Query{Limit: 10}); err != nil {
			t.Fatalf("each account's key signs its own projects: %v", err)
		}
	}
	sim.InjectFault(dcssim.Fault{Project: a1, Status: 429})
	if _, err := pa1.List(t.Context(), Query{Limit: 10}); !IsThrottled(err) {
		t.Fatalf("want the injected 429, got %v", err)
	}
	tThrottled := clk.Now()
	if _, err := pb1.List(t.Context(), Query{Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if got := clk.Now().Sub(tThrottled); got > 102*time.Millisecond {
		t.Errorf("account B waited %v after A was throttled", got)
	}
	if _, err := pa2.List(t.Context(), Query{Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if got := clk.Now().Sub(tThrottled); got < 200*time.Millisecond {
		t.Errorf("the other project of A went %v after A's 429, want at least 200ms (half of 10/s)", got)
	}
	if budgetA.Throttled() != 1 || budgetB.Throttled() != 0 {
		t.Errorf("throttles: A %d, B %d; want 1, 0", budgetA.Throttled(), budgetB.Throttled())
	}
}

// TestAnotherAccountsKeyIsRefused: a project of account B listed with A's key is refused,
// as the gateway refuses a project the credential may not use.
func TestAnotherAccountsKeyIsRefused(t *testing.T) {
	const b1 = "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1"
	sim := dcssim.New(dcssim.Options{AK: ak, SK: sk})
	sim.AddAccount("TESTAKBBBBBBBBBBBBBB", "test-sk-b")
	sim.AddProjectFor("TESTAKBBBBBBBBBBBBBB", b1, "cn-north-4")
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c := newClient(t, srv.URL, func(o *Options) { o.ProjectID = b1 })
	if _, err := c.List(t.Context(), Query{Limit: 1}); !IsAuth(err) {
		t.Fatalf("A's key on B's project: %v, want 401", err)
	}
	// B's key with a wrong secret key fails the signature check.
	c = newClient(t, srv.URL, func(o *Options) {
		o.ProjectID, o.Credentials = b1, Credentials{AK: "TESTAKBBBBBBBBBBBBBB", SK: "wrong"}
	})
	if _, err := c.List(t.Context(), Query{Limit: 1}); !IsAuth(err) {
		t.Fatalf("B's key with a wrong SK: %v, want 401", err)
	}
}

// TestListProjectsViaIAM: the IAM client signs KeystoneListAuthProjects with the caller's
// key and sees that account's projects only; Watchable keeps the regions' projects.
func TestListProjectsViaIAM(t *testing.T) {
	const (
		p1, p2, p3, p4 = "11111111111111111111111111111111", "22222222222222222222222222222222", "33333333333333333333333333333333", "44444444444444444444444444444444"
		akB, skB       = "TESTAKBBBBBBBBBBBBBB", "test-sk-b"
	)
	sim := dcssim.New(dcssim.Options{AK: ak, SK: sk})
	sim.AddAccount(akB, skB)
	sim.AddProjectFor(ak, p1, "cn-north-4")
	sim.AddProjectFor(ak, p2, "ap-southeast-1_team")
	sim.AddProjectFor(ak, p3, "MOS")
	sim.AddProjectFor(akB, p4, "cn-east-3")
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c, err := NewIAMClient(IAMOptions{Endpoint: srv.URL, Credentials: Credentials{AK: ak, SK: sk}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := c.ListProjects(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 {
		t.Fatalf("account A sees %+v, want its 3 projects", ps)
	}
	got := Watchable(ps, []string{"*"})
	if len(got) != 2 || got[0].ID != p2 || got[0].Region != "ap-southeast-1" || got[1].ID != p1 || got[1].Region != "cn-north-4" {
		t.Errorf("watchable with [*]: %+v", got)
	}
	if got := Watchable(ps, []string{"cn-north-4"}); len(got) != 1 || got[0].ID != p1 {
		t.Errorf("watchable in cn-north-4: %+v", got)
	}
	bad, _ := NewIAMClient(IAMOptions{Endpoint: srv.URL, Credentials: Credentials{AK: akB, SK: "wrong"}, Timeout: 5 * time.Second})
	if _, err := bad.ListProjects(t.Context()); !IsAuth(err) {
		t.Errorf("wrong SK: %v, want 401", err)
	}
	if ep := IAMEndpoint([]string{"cn-north-4"}, ""); ep != "https://iam.cn-north-4.myhuaweicloud.com" {
		t.Errorf("IAM endpoint of cn-north-4: %s", ep)
	}
	if ep := IAMEndpoint([]string{"*"}, ""); ep != GlobalIAMEndpoint {
		t.Errorf("IAM endpoint of [*]: %s", ep)
	}
}
