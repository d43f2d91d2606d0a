package dcs

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"notifier/internal/retry"
)

// Budget is the request budget of one credential (dcs.max_requests_per_second), shared by
// every project polled with it: a token bucket holding one request, so that requests are
// at least 1/rate apart and no second holds more than the budget. A throttling answer to
// any of its projects (Throttle) halves the rate until SlowFor has passed without another,
// and pauses all of them for its Retry-After when it has one. Without one, the others are
// not paused: a burst of bare 429s once stopped every project for seconds at a time, and a
// task status held a few seconds went unseen. The project that got it backs off itself.
// Budget only spaces requests; retrying is the poller's (internal/retry).
type Budget struct {
	full  rate.Limit
	lim   *rate.Limiter
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
	onThr func()

	mu          sync.Mutex
	pausedUntil time.Time
	slowedUntil time.Time
	throttled   int
}

// SlowFor is how long a credential stays at half its budget after a throttling answer.
const SlowFor = time.Minute

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
	// Spaced by 1/PerSecond and a millisecond, so that rounding never fits one request too
	// many into a second.
	full := rate.Every(time.Duration(float64(time.Second)/o.PerSecond) + time.Millisecond)
	return &Budget{full: full, lim: rate.NewLimiter(full, 1), now: o.Now, sleep: o.Sleep, onThr: o.OnThrottle}
}

// Wait blocks until a request may go out: past any pause, and a token taken. It returns
// ctx's error if ctx ends first.
func (b *Budget) Wait(ctx context.Context) error {
	for {
		// The clock is read under the lock, so that the limiter sees times in order: a
		// stale time would move its last update back and hand out tokens twice.
		b.mu.Lock()
		now := b.now()
		if !b.slowedUntil.IsZero() && !now.Before(b.slowedUntil) {
			b.slowedUntil = time.Time{}
			b.lim.SetLimitAt(now, b.full)
		}
		until := b.pausedUntil
		var r *rate.Reservation
		if !now.Before(until) {
			r = b.lim.ReserveN(now, 1)
		}
		b.mu.Unlock()
		if r == nil {
			if err := b.sleep(ctx, until.Sub(now)); err != nil {
				return err
			}
			continue
		}
		d := r.DelayFrom(now)
		if d == 0 {
			return nil
		}
		if err := b.sleep(ctx, d); err != nil {
			b.mu.Lock()
			r.CancelAt(b.now())
			b.mu.Unlock()
			return err
		}
		b.mu.Lock()
		paused := b.now().Before(b.pausedUntil)
		b.mu.Unlock()
		if !paused {
			return nil
		}
		// Throttled while this request waited for its token: it waits out the pause too.
	}
}

// Throttle records a throttling answer: every project of the credential pauses for asked
// (a Retry-After; 0: none), and the rate is halved for SlowFor after it.
func (b *Budget) Throttle(asked time.Duration) {
	asked = max(asked, 0)
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
	if b.slowedUntil.IsZero() {
		b.lim.SetLimitAt(now, b.full/2)
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
func (b *Budget) Limit() float64 { return float64(b.lim.Limit()) }

// Budgeted is a Lister whose every request first waits on a Budget, and whose throttling
// answers throttle that Budget.
type Budgeted struct {
	Lister Lister
	Budget *Budget
}

// List waits for the budget, then lists.
func (l Budgeted) List(ctx context.Context, q Query) (*Page, error) {
	if err := l.Budget.Wait(ctx); err != nil {
		return nil, err
	}
	p, err := l.Lister.List(ctx, q)
	if IsThrottled(err) {
		asked, _ := RetryAfter(err)
		l.Budget.Throttle(asked)
	}
	return p, err
}
