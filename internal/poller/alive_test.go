package poller

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"notifier/internal/testkit/testutil"
)

// A liveness check reads from Stalled where Run's loop stands: a poll that runs past its
// bound is stalled, so is a loop that has not woken long after its planned wake; a poll
// within its bound, a loop asleep until its time, and a poller not running are not. The
// times asked about are in the future, so nothing waits for a bound to pass.
func TestStalledFollowsRunsLoop(t *testing.T) {
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	var once sync.Once
	e := newEnv(t, setup{wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case arrived <- struct{}{}:
			default:
			}
			<-release // the first poll hangs until the test lets it answer
			next.ServeHTTP(w, r)
		})
	}})
	t.Cleanup(func() { once.Do(func() { close(release) }) }) // before the server closes
	const bound, grace = 30 * time.Minute, time.Minute
	if why, stalled := e.p.Stalled(time.Now().Add(100*time.Hour), bound, grace); stalled {
		t.Fatalf("a poller not running is stalled: %s", why)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.p.Run(ctx)
	}()
	<-arrived
	if why, stalled := e.p.Stalled(time.Now().Add(10*time.Minute), bound, grace); stalled {
		t.Errorf("a poll running for 10m of a 30m bound is stalled: %s", why)
	}
	if why, stalled := e.p.Stalled(time.Now().Add(time.Hour), bound, grace); !stalled || !strings.Contains(why, "a poll running for") {
		t.Errorf("a poll running for an hour: Stalled = %q, %v; want stalled, saying a poll runs", why, stalled)
	}

	once.Do(func() { close(release) })
	// The poll answers; the loop sleeps poll.interval (1m here) before the next one.
	testutil.Eventually(t, "the loop to sleep", func() bool {
		why, stalled := e.p.Stalled(time.Now().Add(time.Hour), bound, grace)
		return stalled && strings.Contains(why, "should have woken")
	})
	if why, stalled := e.p.Stalled(time.Now().Add(90*time.Second), bound, grace); stalled {
		t.Errorf("a loop 30s past its wake, with a minute's grace, is stalled: %s", why)
	}
	cancel()
	<-done
	if why, stalled := e.p.Stalled(time.Now().Add(100*time.Hour), bound, grace); stalled {
		t.Errorf("a poller whose Run returned is stalled: %s", why)
	}
}
