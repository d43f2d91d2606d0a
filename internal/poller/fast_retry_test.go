package poller

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"notifier/internal/dcs"
	"notifier/internal/testkit/testutil"
)

// outageLister fails every request from the second on (the first is the baseline) until
// the fake clock reaches the recovery, outage after the first failure; it records when
// each request was made, and stops Run at the first success after the recovery.
type outageLister struct {
	next   dcs.Lister
	clk    *testutil.Clock
	outage time.Duration
	err    error
	stop   context.CancelFunc

	mu        sync.Mutex
	attempts  []time.Time // every request of the outage, failed or not
	recovered time.Time   // zero until the outage starts
	firstOK   time.Time
}

func (l *outageLister) List(ctx context.Context, q dcs.Query) (*dcs.Page, error) {
	now := l.clk.Now()
	l.mu.Lock()
	baseline := l.attempts == nil
	if baseline {
		l.attempts = []time.Time{}
	} else {
		l.attempts = append(l.attempts, now)
		if l.recovered.IsZero() {
			l.recovered = now.Add(l.outage)
		}
		if now.Before(l.recovered) {
			l.mu.Unlock()
			return nil, l.err
		}
		l.firstOK = now
		l.stop()
	}
	l.mu.Unlock()
	return l.next.List(ctx, q)
}

// waits are the times between the outage's requests.
func (l *outageLister) waits() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []time.Duration
	for i := 1; i < len(l.attempts); i++ {
		out = append(out, l.attempts[i].Sub(l.attempts[i-1]))
	}
	return out
}

// runOutage runs a poller on a fake clock through an outage that starts after its first
// poll and lasts d, and returns the lister that recorded it. running puts a running task
// in the project; gapAfter is poll.gap_after.
func runOutage(t *testing.T, d time.Duration, err error, running bool, gapAfter time.Duration) *outageLister {
	t.Helper()
	clk := testutil.NewClock(time.Now())
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	l := &outageLister{clk: clk, outage: d, err: err, stop: cancel}
	e := newEnv(t, setup{}, func(o *Options) {
		l.next = o.Lister
		o.Lister, o.Now, o.Sleep = l, clk.Now, clk.Wait
		o.Interval, o.ActiveInterval, o.MaxBackoff = 30*time.Second, 5*time.Second, 5*time.Minute
		o.GapAfter = gapAfter
	})
	if running {
		e.put("swap", "masterStandbySwapJob", "RUNNING", clk.Now().Add(-time.Second))
	}
	done := make(chan struct{})
	go func() { defer close(done); e.p.Run(ctx) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		cancel()
		<-done
		t.Fatalf("Run did not come to the first success after an outage of %s", d)
	}
	if l.firstOK.IsZero() {
		t.Fatalf("no successful poll after an outage of %s (requests: %d)", d, len(l.attempts))
	}
	return l
}

// After an outage of up to a minute, a project with a running task, or whose last
// successful poll is less than poll.gap_after ago, polls successfully within 3 s of the
// API's recovery: its retries of a transient failure (HTTP 5xx, no answer) come at most
// 2 s apart, however long the outage has lasted within that minute.
func TestFirstSuccessWithin3sOfRecoveryAfterAShortOutage(t *testing.T) {
	unreachable := &dcs.TransportError{Err: errors.New("connection refused")}
	for _, tc := range []struct {
		name     string
		running  bool
		gapAfter time.Duration
		err      error
	}{
		{"a running task, HTTP 500", true, 0, &dcs.APIError{Status: 500}},
		{"a running task, unreachable", true, 0, unreachable},
		{"quiet, within gap_after, HTTP 503", false, 5 * time.Minute, &dcs.APIError{Status: 503}},
	} {
		for _, d := range []time.Duration{time.Second, 10 * time.Second, 30 * time.Second, 59 * time.Second} {
			t.Run(fmt.Sprintf("%s, %s", tc.name, d), func(t *testing.T) {
				for range 3 { // the waits are drawn at random
					l := runOutage(t, d, tc.err, tc.running, tc.gapAfter)
					if late := l.firstOK.Sub(l.recovered); late > 3*time.Second {
						t.Fatalf("first success %s after the recovery, want at most 3s (waits %v)", late, l.waits())
					}
					for _, w := range l.waits() {
						if w > fastRetry {
							t.Fatalf("a retry waited %s, want at most %s in the first minute (waits %v)", w, fastRetry, l.waits())
						}
					}
				}
			})
		}
	}
}

// The backoff stays kind to an API that stays down: past the first minute a hot project's
// retries slow down to at most max(active_interval, 2 s) × 4 (20 s at active_interval 5s),
// and a project that is not hot (quiet, its last success more than gap_after ago) backs
// off beyond that, towards max_backoff.
func TestRetriesSlowDownWhenTheOutageLasts(t *testing.T) {
	limit := hotRetryCap(5 * time.Second)
	if limit != 20*time.Second {
		t.Fatalf("hotRetryCap(5s) = %s, want 20s", limit)
	}
	t.Run("hot: a running task", func(t *testing.T) {
		l := runOutage(t, 5*time.Minute, &dcs.APIError{Status: 502}, true, 0)
		var at time.Duration
		slower := false
		for _, w := range l.waits() {
			at += w
			if w > limit {
				t.Fatalf("a retry at %s into the outage waited %s, want at most %s (waits %v)", at, w, limit, l.waits())
			}
			slower = slower || w > fastRetry
		}
		if !slower {
			t.Errorf("retries never slowed down past %s in an outage of 5m (waits %v)", fastRetry, l.waits())
		}
		if late := l.firstOK.Sub(l.recovered); late > limit {
			t.Errorf("first success %s after the recovery, want at most %s", late, limit)
		}
	})
	t.Run("not hot: quiet, past gap_after", func(t *testing.T) {
		l := runOutage(t, 5*time.Minute, &dcs.APIError{Status: 502}, false, 10*time.Second)
		longest := time.Duration(0)
		for _, w := range l.waits() {
			longest = max(longest, w)
		}
		if longest <= limit {
			t.Errorf("the longest wait of a project not hot in an outage of 5m was %s, want the backoff past %s (waits %v)", longest, limit, l.waits())
		}
	})
}

// A refused credential, a throttling answer and an answer that is not transient keep their
// waits, hot or not.
func TestFastRetryIsForTransientFailuresOnly(t *testing.T) {
	e := newEnv(t, setup{}, func(o *Options) {
		o.ActiveInterval, o.MaxBackoff, o.GapAfter = time.Second, 5*time.Minute, 5*time.Minute
	})
	now := time.Now()
	out := outage{since: now, lastOK: now}
	for _, tc := range []struct {
		name string
		err  error
		min  time.Duration // the shortest wait allowed
	}{
		{"401", &dcs.APIError{Status: 401}, 5 * time.Minute},
		{"403", &dcs.APIError{Status: 403}, 5 * time.Minute},
		{"429 with Retry-After", &dcs.APIError{Status: 429, RetryAfter: 10 * time.Second}, 10 * time.Second},
		{"503 with Retry-After", &dcs.APIError{Status: 503, RetryAfter: 10 * time.Second}, 10 * time.Second},
		{"APIGW.0308 on a 500", &dcs.APIError{Status: 500, Code: "APIGW.0308"}, throttledWait},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := e.p.newBackoff()
			for range 12 { // past the fast limit
				if w, _ := e.p.retryWait(b, tc.err, &out, now, true); w < tc.min {
					t.Fatalf("waited %s, want at least %s", w, tc.min)
				}
			}
		})
	}
	t.Run("400 grows past the fast limit", func(t *testing.T) {
		b := e.p.newBackoff()
		longest := time.Duration(0)
		for range 12 {
			w, fast := e.p.retryWait(b, &dcs.APIError{Status: 400}, &out, now, true)
			if fast {
				t.Fatal("a 400 was retried by the fast rule")
			}
			longest = max(longest, w)
		}
		if longest <= fastRetry {
			t.Errorf("the longest wait after twelve 400s was %s, want the backoff past %s", longest, fastRetry)
		}
	})
}
