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

// TestBudgetSpacing: 100 requests at a budget of 10/s go 115 ms apart (a tenth of the
// window and its margin), so no window of 1.15 s holds more than 10; the first goes at once.
func TestBudgetSpacing(t *testing.T) {
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
	if got := mostIn(at, 1150*time.Millisecond); got > 10 {
		t.Errorf("%d requests within 1.15 s, budget 10", got)
	}
	if got := mostIn(at, time.Second); got > 9 {
		t.Errorf("%d requests within 1 s, want 9 (115 ms apart)", got)
	}
	if !at[0].Equal(t0) {
		t.Errorf("the first request waited %v", at[0].Sub(t0))
	}
	if span := at[99].Sub(at[0]); span != 99*115*time.Millisecond {
		t.Errorf("100 requests took %v, want 99 × 115 ms", span)
	}
}

// TestBudgetShare: a replica leading one of three shards takes a third of the budget, so
// three replicas together stay within it; leading them all again, the whole.
func TestBudgetShare(t *testing.T) {
	clk := newFakeClock()
	b := clk.budget(10)
	b.SetShare(1.0 / 3)
	if got := b.Limit(); got < 3.33 || got > 3.34 {
		t.Fatalf("Limit() = %v with a third of 10", got)
	}
	var at []time.Time
	for range 30 {
		if err := b.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
		at = append(at, clk.Now())
	}
	// 3 requests per 1.15 s, evenly: 383.3 ms apart, so at most 3 in any second and, from
	// three replicas each with a third, at most 9 together.
	if got := mostIn(at, time.Second); got > 3 {
		t.Errorf("%d requests within 1 s at a third of 10", got)
	}
	_, _, gap := shape(10.0 / 3)
	if d := at[1].Sub(at[0]); d != gap || gap < 383*time.Millisecond {
		t.Errorf("requests %v apart, want %v (≥ 383 ms)", d, gap)
	}
	b.SetShare(1)
	at = at[:0]
	for range 11 {
		if err := b.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
		at = append(at, clk.Now())
	}
	if d := at[10].Sub(at[1]); d != 9*115*time.Millisecond {
		t.Errorf("back to the whole budget: 10 requests over %v, want 9 × 115 ms", d)
	}
}

// TestBudgetShape: n = max(1, ⌊r⌋) starts per window of max(1 s, 1/r) and its margin,
// spread evenly over it.
func TestBudgetShape(t *testing.T) {
	for _, c := range []struct {
		r    float64
		n    int
		span time.Duration
		gap  time.Duration
	}{{10, 10, 1150 * time.Millisecond, 115 * time.Millisecond}, {5, 5, 1150 * time.Millisecond, 230 * time.Millisecond},
		{2.5, 2, 1150 * time.Millisecond, 575 * time.Millisecond}, {1, 1, 1150 * time.Millisecond, 1150 * time.Millisecond},
		{0.5, 1, 2300 * time.Millisecond, 2300 * time.Millisecond}, {1000, 1000, 1150 * time.Millisecond, 1150 * time.Microsecond}} {
		n, span, gap := shape(c.r)
		if n != c.n || span != c.span || gap != c.gap {
			t.Errorf("shape(%g) = %d per %v, %v apart; want %d per %v, %v apart", c.r, n, span, gap, c.n, c.span, c.gap)
		}
		if time.Duration(n)*gap < span {
			t.Errorf("shape(%g): %d × %v is less than the window %v", c.r, n, gap, span)
		}
		if m := MeanRate(c.r); m > c.r || m < float64(c.n)/1.16/c.span.Seconds()*1.15 {
			t.Errorf("MeanRate(%g) = %g", c.r, m)
		}
	}
}

// TestBudgetCancelReturnsNoSlot: a request that gives up while waiting takes no slot:
// the next one goes a spacing after the last that went, not two.
func TestBudgetCancelReturnsNoSlot(t *testing.T) {
	clk := newFakeClock()
	b := clk.budget(10)
	_ = b.Wait(t.Context())
	t0 := clk.Now()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := b.Wait(ctx); err == nil {
		t.Fatal("a cancelled wait returned nil")
	}
	t1 := clk.Now() // the cancelled wait slept until its slot
	if err := b.Wait(t.Context()); err != nil || !clk.Now().Equal(t1) || t1.Sub(t0) != 115*time.Millisecond {
		t.Fatalf("the request after the cancelled one went at +%v (%v), want +115ms: the cancelled one took a slot", clk.Now().Sub(t0), err)
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
	if got := mostIn(at, 1150*time.Millisecond); got > 5 {
		t.Errorf("%d requests within 1.15 s at half rate, want at most 5", got)
	}
	if span := at[29].Sub(at[0]); span != 29*230*time.Millisecond {
		t.Errorf("30 requests at half rate took %v, want 29 × 230 ms", span)
	}
	_ = clk.Sleep(t.Context(), SlowFor)
	at = at[:0]
	for range 30 {
		_ = b.Wait(t.Context())
		at = append(at, clk.Now())
	}
	if span := at[29].Sub(at[0]); span != 29*115*time.Millisecond || b.Limit() != 10 {
		t.Errorf("after SlowFor: 30 requests took %v at rate %g, want 29 × 115 ms at 10", span, b.Limit())
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
	if got := clk.Now().Sub(tThrottled); got > 115*time.Millisecond {
		t.Errorf("account B waited %v after A was throttled, want at most 115ms (10/s)", got)
	}
	if _, err := pa2.List(t.Context(), Query{Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if got := clk.Now().Sub(tThrottled); got < 230*time.Millisecond {
		t.Errorf("the other project of A went %v after A's 429, want at least 230ms (half of 10/s)", got)
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

// TestUrgentKeepsTheWindowNotTheSpacing: at a third of 10 a second (3 per 1.15 s, 383 ms
// apart), a running task's poll right after a quiet project's goes at once instead of a
// spacing later; urgent polls are still a spacing apart from each other, and no window
// holds more than 3.
func TestUrgentKeepsTheWindowNotTheSpacing(t *testing.T) {
	clk := newFakeClock()
	b := clk.budget(10)
	b.SetShare(1.0 / 3)
	_, _, gap := shape(10.0 / 3)
	t0 := clk.Now()
	wait := func(ctx context.Context) time.Duration {
		t.Helper()
		if err := b.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		return clk.Now().Sub(t0)
	}
	if at := wait(t.Context()); at != 0 {
		t.Fatalf("the first request waited %v", at)
	}
	urgent := Urgent(t.Context())
	if at := wait(urgent); at != 0 {
		t.Errorf("an urgent request behind a quiet one waited %v, want none", at)
	}
	if at := wait(urgent); at != gap {
		t.Errorf("the next urgent request went at +%v, want a spacing after the last urgent one (+%v)", at, gap)
	}
	if at := wait(urgent); at != 1150*time.Millisecond {
		t.Errorf("a fourth start in the window went at +%v, want +1.15 s", at)
	}
	if at := wait(t.Context()); at != 1150*time.Millisecond+gap {
		t.Errorf("a quiet request went at +%v, want a spacing after the last start (+%v)", at, 1150*time.Millisecond+gap)
	}
}
