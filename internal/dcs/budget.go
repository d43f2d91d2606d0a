package dcs

import (
	"context"
	"math"
	"sync"
	"time"

	"notifier/internal/retry"
)

// Budget is the request budget of one credential (dcs.max_requests_per_second), shared by
// every project polled with it.
//
// # The bound
//
// At a rate r, a window of w = max(1 s, 1/r) may hold n = max(1, ⌊r⌋) requests: a request
// may start only when the n-th start before it is at least w(1 + Margin) ago, so any n+1
// consecutive starts span at least 1.15 w; and a request that is not urgent only when the
// last one started at least w(1 + Margin)/n before it, 115 ms apart at r = 10. As the API
// sees them, n+1 requests fall within one window of w only if their delays (network,
// scheduling, the server's own queue) differ by more than Margin × w, 150 ms at r ≥ 1; and
// each further 115 ms of such jitter lets one more in, never a whole burst.
//
// Why evenly spaced and not a sliding window that lets n go at once: a burst of n is sent
// together, so one jitter of Margin × w between the last of a burst and the first of the
// next shows the API 2n in a second. The fleet run measured it: 20 in a second at a budget
// of 10 with bursts (the two loaded cores delay a request's handling by 100 ms and more),
// against 11 with requests 101 ms apart. The old token bucket of one spaced them 1/r + 1 ms,
// so 10 ms of jitter was enough for 11. The cost of the margin is the mean rate:
// n/(1.15 w), 8.7 a second at r = 10 (MeanRate; the fleet's keys need 6.7 and 1 per active
// project), and a request waits at most one spacing behind the request before it when the
// credential is otherwise idle.
//
// # Urgent requests
//
// A request whose context is marked Urgent (the poller marks the polls of a project with a
// running task) is served before every request of the credential that is not, when several
// wait; each class is first come, first served. Quiet requests get every slot for which no
// urgent request waits. Each project polls one page at a time, so u projects of a
// credential running tasks ask at most u × (pages per poll) ÷ active_interval slots a
// second, and quiet requests get at least the rest of the MeanRate: with 1,000 projects of
// 300 tasks on 5 keys (one page each, every 30 s), a key's 200 quiet projects need 6.7 a
// second, and two of its projects running tasks at active_interval = 1 s still fit in
// the 8.7. Only if the urgent polls alone needed the whole budget would quiet
// projects starve: 9 projects of one key each running a task and polled every second.
// An urgent request keeps the window, and the spacing after the last urgent start, but
// not the spacing after a quiet one: it goes at once unless the window already holds n
// starts (or a pause is on), so a running task's poll does not wait a spacing behind a
// quiet project's (383 ms at a third of 10 a second, the share of a replica leading one of
// three shards). Urgent requests alone still come evenly spaced: a burst of them would
// fill the window and leave a gap of most of a second without a poll, long enough to miss
// a status held for half a second (the demo's test caught it). An urgent and a quiet
// request may start close together; no window holds more than n.
//
// # Throttling
//
// A throttling answer to any of its projects (Throttle) halves the rate until SlowFor has
// passed without another, and pauses all of them for its Retry-After when it has one (up
// to MaxPause).
// Without one, the others are not paused: a burst of bare 429s once stopped every project
// for seconds at a time, and a task status held a few seconds went unseen. The project
// that got it backs off itself. Budget only spaces requests; retrying is the poller's
// (internal/retry).
type Budget struct {
	perSecond float64
	now       func() time.Time
	sleep     func(context.Context, time.Duration) error
	onThr     func()
	onStart   func(ctx context.Context, at time.Time) // tests: every start, under the lock

	mu          sync.Mutex
	share       float64     // of perSecond this process may use (SetShare); 1 unless sharded
	last        time.Time   // the last start; zero: none yet
	lastUrgent  time.Time   // the last urgent start
	recent      []time.Time // the last starts, at most n of the whole budget, oldest first
	urgent      []*waiter   // waiting, first come first served
	quiet       []*waiter
	pausedUntil time.Time
	slowedUntil time.Time // zero: the full rate
	throttled   int
}

// waiter is one Wait that could not start at once.
type waiter struct {
	urgent bool
	wake   chan struct{} // a signal: it may have become the head of the queue
}

// SlowFor is how long a credential stays at half its budget after a throttling answer.
const SlowFor = time.Minute

// MaxPause bounds the pause of a Retry-After (the default poll.max_backoff, which bounds
// the wait of the project that got it): the key's other projects block in Wait meanwhile,
// without failing, so no gap event would say that they are blind.
const MaxPause = 5 * time.Minute

// BudgetOptions are what a Budget is built from; only PerSecond is required.
type BudgetOptions struct {
	PerSecond float64
	Now       func() time.Time                           // default time.Now
	Sleep     func(context.Context, time.Duration) error // default retry.Sleep; tests advance a fake clock
	// OnThrottle, when set, is called at every throttling answer (a metric).
	OnThrottle func()
}

// NewBudget returns a budget of o.PerSecond requests per second.
func NewBudget(o BudgetOptions) *Budget {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = retry.Sleep
	}
	return &Budget{perSecond: o.PerSecond, share: 1, now: o.Now, sleep: o.Sleep, onThr: o.OnThrottle}
}

// Margin is the part of a window added to it before its requests are spread over it: the
// jitter in their delays a credential's requests tolerate before the API sees more than
// the budget in a window.
const Margin = 0.15

// shape is how many starts a rate r allows in a window, the window with its margin, and
// the spacing of starts (the span over n).
func shape(r float64) (n int, span, gap time.Duration) {
	w := time.Second
	if r < 1 {
		w = time.Duration(float64(time.Second) / r)
	}
	// The epsilon keeps ⌊10⌋ at 10 whatever the float; no rate is that close below an integer.
	n = max(1, int(math.Floor(r+1e-9)))
	span = w + time.Duration(Margin*float64(w))
	return n, span, (span + time.Duration(n) - 1) / time.Duration(n)
}

// MeanRate is the most requests a second a budget of perSecond sustains: one per spacing
// (8.7 at 10).
func MeanRate(perSecond float64) float64 {
	_, _, gap := shape(perSecond)
	return 1 / gap.Seconds()
}

type urgentKey struct{}

// Urgent marks ctx's requests as urgent for the budget they wait on: served before the
// requests that are not (the polls of a project with a running task).
func Urgent(ctx context.Context) context.Context { return context.WithValue(ctx, urgentKey{}, true) }

// IsUrgent reports whether ctx is marked Urgent.
func IsUrgent(ctx context.Context) bool { v, _ := ctx.Value(urgentKey{}).(bool); return v }

// Wait blocks until a request may go out: past any pause, and a spacing after the last. Urgent requests (ctx marked Urgent) go before the
// others. It returns ctx's error if ctx ends first; a request that gives up takes no place
// in the window.
func (b *Budget) Wait(ctx context.Context) error {
	urgent := IsUrgent(ctx)
	b.mu.Lock()
	// Nobody waiting ahead: it may go at once. The clock is read under the lock, so that
	// starts are logged in order.
	if len(b.urgent) == 0 && (urgent || len(b.quiet) == 0) {
		if now := b.now(); !now.Before(b.nextAt(now, urgent)) {
			b.start(ctx, now)
			b.mu.Unlock()
			return nil
		}
	}
	w := &waiter{urgent: urgent, wake: make(chan struct{}, 1)}
	if urgent {
		b.urgent = append(b.urgent, w)
	} else {
		b.quiet = append(b.quiet, w)
	}
	for {
		if b.head() != w {
			// Another request is first: wait until it leaves (or a more urgent one came).
			b.mu.Unlock()
			select {
			case <-w.wake:
			case <-ctx.Done():
				b.mu.Lock()
				b.leave(w)
				b.mu.Unlock()
				return ctx.Err()
			}
			b.mu.Lock()
			continue
		}
		now := b.now()
		at := b.nextAt(now, w.urgent)
		if !now.Before(at) {
			b.leave(w)
			b.start(ctx, now)
			b.mu.Unlock()
			return nil
		}
		// The head sleeps until its slot; a pause or a halving that came meanwhile is seen
		// when it wakes, and so is an urgent request that overtook it.
		b.mu.Unlock()
		err := b.sleep(ctx, at.Sub(now))
		b.mu.Lock()
		if err != nil {
			b.leave(w)
			b.mu.Unlock()
			return err
		}
	}
}

// nextAt is when the next request may start, urgent or not; b.mu is held. It also ends a
// halving that has run its time. Every request keeps the window: the n-th start before it
// at least a window and its margin ago, so any n+1 starts span that much. A request that
// is not urgent also keeps the spacing after the last start; an urgent one keeps it after
// the last urgent start only: the poll of a project with a running task would otherwise
// wait up to a spacing (383 ms at a third of 10 a second, a replica's share of three
// shards) behind a quiet project's at every poll, and urgent polls still come evenly, never
// in a burst that fills the window and then leaves a gap in which a short status is missed.
func (b *Budget) nextAt(now time.Time, urgent bool) time.Time {
	n, span, gap := shape(b.rateAt(now))
	at := b.pausedUntil
	last := b.last
	if urgent {
		last = b.lastUrgent
	}
	if !last.IsZero() {
		if t := last.Add(gap); t.After(at) {
			at = t
		}
	}
	if len(b.recent) >= n {
		if t := b.recent[len(b.recent)-n].Add(span); t.After(at) {
			at = t
		}
	}
	return at
}

// rateAt is the rate in force at now; b.mu is held.
func (b *Budget) rateAt(now time.Time) float64 {
	if !b.slowedUntil.IsZero() && !now.Before(b.slowedUntil) {
		b.slowedUntil = time.Time{}
	}
	if b.slowedUntil.IsZero() {
		return b.perSecond * b.share
	}
	return b.perSecond * b.share / 2
}

// SetShare makes the budget f (0 < f ≤ 1) of dcs.max_requests_per_second: a replica
// leading k of the n shards (cluster.shards) holding an access key's projects takes k/n of
// that key's budget, so that the replicas together never go past it. A request already waiting for its slot
// sees the new rate when it wakes.
func (b *Budget) SetShare(f float64) {
	if f <= 0 || f > 1 {
		f = 1
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.share = f
}

// start logs a start at now; b.mu is held. It keeps the last n starts of the whole
// budget (no halving, no share), the most nextAt's window can need whatever the rate.
func (b *Budget) start(ctx context.Context, now time.Time) {
	b.last = now
	if IsUrgent(ctx) {
		b.lastUrgent = now
	}
	n, _, _ := shape(b.perSecond)
	b.recent = append(b.recent, now)
	if len(b.recent) > n {
		b.recent = append(b.recent[:0], b.recent[len(b.recent)-n:]...)
	}
	if b.onStart != nil {
		b.onStart(ctx, now)
	}
}

// head is the waiter to be served next; b.mu is held.
func (b *Budget) head() *waiter {
	switch {
	case len(b.urgent) > 0:
		return b.urgent[0]
	case len(b.quiet) > 0:
		return b.quiet[0]
	}
	return nil
}

// leave takes w out of its queue and wakes the new head; b.mu is held.
func (b *Budget) leave(w *waiter) {
	q := &b.quiet
	if w.urgent {
		q = &b.urgent
	}
	for i, x := range *q {
		if x == w {
			*q = append((*q)[:i], (*q)[i+1:]...)
			break
		}
	}
	if h := b.head(); h != nil {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
}

// Throttle records a throttling answer: every project of the credential pauses for asked
// (a Retry-After; 0: none; at most MaxPause), and the rate is halved for SlowFor after it.
func (b *Budget) Throttle(asked time.Duration) {
	asked = min(max(asked, 0), MaxPause)
	if b.onThr != nil {
		b.onThr()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.throttled++
	if until := now.Add(asked); until.After(b.pausedUntil) {
		b.pausedUntil = until
	}
	b.slowedUntil = now.Add(asked + SlowFor)
}

// Throttled returns how many throttling answers the credential has had.
func (b *Budget) Throttled() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.throttled
}

// Limit returns the rate in force now, in requests per second.
func (b *Budget) Limit() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rateAt(b.now())
}

// Budgeted is a Lister whose every request first waits on a Budget, and whose throttling
// answers throttle that Budget.
type Budgeted struct {
	Lister Lister
	Budget *Budget
}

// List waits for the budget, then lists.
func (l Budgeted) List(ctx context.Context, q Query) (*Page, error) {
	pr := progressOf(ctx)
	if pr != nil {
		pr.waiting.Store(true)
	}
	err := l.Budget.Wait(ctx)
	if pr != nil {
		pr.waiting.Store(false)
	}
	if err != nil {
		return nil, err
	}
	p, err := l.Lister.List(ctx, q)
	if IsThrottled(err) {
		asked, _ := RetryAfter(err)
		l.Budget.Throttle(asked)
	}
	return p, err
}
