package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/testkit/natstest"
)

// A leader that finishes after its context ended (the process stops, or the balancer gives
// the shard up: it delivers what is pending while the lease is still renewed) must stop
// finishing when a renewal fails: the lease may expire and another replica lead the shard
// and deliver the same events. Held(ctx) is what that finishing waits on; here another
// holder overwrites the lease, so the next renewal fails.
func TestLosingTheLeaseEndsWhatLeadFinishes(t *testing.T) {
	_, js := natstest.Connect(t, natstest.RunJetStream(t))
	kv, err := LeaseBucket(t.Context(), js, "leases", ttl, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	won := make(chan struct{})
	finishing := make(chan struct{})
	finished := make(chan error, 1)
	l := NewLease(LeaseOptions{KV: kv, Key: "shard-0", Holder: "r0", TTL: ttl, Log: zerolog.Nop()})
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Run(ctx, func(ctx context.Context, _ uint64) {
			close(won)
			<-ctx.Done()
			close(finishing)
			// The drain: as long as the lease is held (a test bound, far above the TTL).
			held := Held(ctx)
			select {
			case <-held.Done():
				finished <- context.Cause(held)
			case <-time.After(time.Minute):
				finished <- nil
			}
		})
	}()
	<-won
	cancel() // the process stops: lead finishes, the lease is still renewed
	<-finishing
	if _, err := kv.Put(t.Context(), "shard-0", []byte("r1")); err != nil {
		t.Fatal(err)
	}
	if err := <-finished; err == nil {
		t.Fatal("lead went on finishing for a minute after its lease was lost")
	} else {
		t.Logf("finishing stopped: %v", err)
	}
	<-done
}

// Held of a context that is not a lead context never ends.
func TestHeldOutsideALease(t *testing.T) {
	if Held(t.Context()).Done() != nil {
		t.Error("Held of a plain context can end")
	}
}
