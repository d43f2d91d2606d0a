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

// mostIn is the most starts in any window [t, t+window).
func mostIn(at []time.Time, window time.Duration) int {
	most := 0
	for i := range at {
		n := 0
		for j := i; j < len(at) && at[j].Sub(at[i]) < window; j++ {
			n++
		}
		most = max(most, n)
	}
	return most
}

// TestBudgetSlidingWindow: 100 requests at a budget of 10/s go in bursts of 10, the next
// burst 1.1 s after the first of the last (the margin), so no window of 1.1 s holds more
// than 10: the first ten go at once, the eleventh exactly 1.1 s later.
func TestBudgetSlidingWindow(t *testing.T) {
	clk := newFakeClock()
	b := clk.budget(10)
	t0 := clk.Now()
	var at []time.Time
	for range 100 {
		if err := b.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
		at = append(at, clk.Now())
	}
	if got := mostIn(at, 1100*time.Millisecond); got > 10 {
		t.Errorf("%d requests within 1.1 s, budget 10", got)
	}
	if !at[9].Equal(t0) || !at[10].Equal(t0.Add(1100*time.Millisecond)) {
		t.Errorf("10th request at +%v, 11th at +%v; want at once and at 1.1s", at[9].Sub(t0), at[10].Sub(t0))
	}
	if span := at[99].Sub(at[0]); span != 9900*time.Millisecond {
		t.Errorf("100 requests took %v, want 9.9s (nine windows of 1.1s)", span)
	}
}

// TestBudgetShape: n = max(1, ⌊r⌋) starts per window of max(1 s, 1/r), plus a tenth.
func TestBudgetShape(t *testing.T) {
	for _, c := range []struct {
		r    float64
		n    int
		span time.Duration
	}{{10, 10, 1100 * time.Millisecond}, {5, 5, 1100 * time.Millisecond}, {2.5, 2, 1100 * time.Millisecond},
		{1, 1, 1100 * time.Millisecond}, {0.5, 1, 2200 * time.Millisecond}, {1000, 1000, 1100 * time.Millisecond}} {
		if n, span := shape(c.r); n != c.n || span != c.span {
			t.Errorf("shape(%g) = %d per %v, want %d per %v", c.r, n, span, c.n, c.span)
		}
		if m, want := MeanRate(c.r), float64(c.n)/c.span.Seconds(); m != want || m > c.r {
			t.Errorf("MeanRate(%g) = %g, want %g", c.r, m, want)
		}
	}
}

// TestBudgetCancelReturnsNoSlot: a request that gives up while waiting takes no place in
// the window: after it, the next ten go together.
func TestBudgetCancelReturnsNoSlot(t *testing.T) {
	clk := newFakeClock()
	b := clk.budget(10)
	for range 10 {
		_ = b.Wait(t.Context())
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := b.Wait(ctx); err == nil {
		t.Fatal("a cancelled wait on a full window returned nil")
	}
	t1 := clk.Now() // the cancelled wait slept until the window had room
	for i := range 10 {
		if err := b.Wait(t.Context()); err != nil || !clk.Now().Equal(t1) {
			t.Fatalf("request %d after the cancelled one went at +%v (%v): the cancelled one took a slot", i, clk.Now().Sub(t1), err)
		}
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
	if l := b.Limit(); l != 5 {
		t.Errorf("rate after a throttle %g, want 5", l)
	}
	var at []time.Time
	for range 30 {
		_ = b.Wait(t.Context())
		at = append(at, clk.Now())
	}
	if got := mostIn(at, 1100*time.Millisecond); got > 5 {
		t.Errorf("%d requests within 1.1 s at half rate, want at most 5", got)
	}
	if span := at[29].Sub(at[0]); span < 5*1100*time.Millisecond {
		t.Errorf("30 requests at half rate took %v, want at least 5.5s", span)
	}
	_ = clk.Sleep(t.Context(), SlowFor)
	at = at[:0]
	for range 30 {
		_ = b.Wait(t.Context())
		at = append(at, clk.Now())
	}
	if got := mostIn(at, 1100*time.Millisecond); got != 10 || b.Limit() != 10 {
		t.Errorf("after SlowFor: %d requests in 1.1 s at rate %g, want 10 at 10", got, b.Limit())
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
// project of account A. The other project of A goes at half the rate (5 in a window);
// a project of account B at the full rate (10).
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
	// A has started 3 requests, B 1, all at once (under the budget).
	tThrottled := clk.Now()
	atOnce := func(l Budgeted) int {
		n := 0
		for {
			if _, err := l.List(t.Context(), Query{Limit: 10}); err != nil {
				t.Fatal(err)
			}
			if !clk.Now().Equal(tThrottled) {
				return n
			}
			n++
		}
	}
	if n := atOnce(pb1); n != 9 {
		t.Errorf("account B started %d more requests at once after A was throttled, want 9 (10 in its window)", n)
	}
	clk.mu.Lock()
	clk.t = tThrottled
	clk.mu.Unlock()
	if n := atOnce(pa2); n != 2 {
		t.Errorf("the other project of A started %d more requests at once after A's 429, want 2 (half of 10, less A's 3)", n)
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
