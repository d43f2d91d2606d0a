package cluster

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/testkit/natstest"
)

// When lead returns at once (app.lead does so whenever the shard's state cannot be
// loaded: an unreadable key, a key of a newer term, NATS hiccups), Run releases the lease
// and pauses before campaigning again: within one renewal interval (TTL/3) such a lead is
// called a handful of times at most, not in a hot loop of Create/Get/Delete against NATS
// with an Error log line per turn.
func TestLeadFailingAtOnceIsNotRetriedInAHotLoop(t *testing.T) {
	_, js := natstest.Connect(t, natstest.RunJetStream(t))
	const leaseTTL = 3 * time.Second
	kv, err := LeaseBucket(t.Context(), js, "leases", leaseTTL, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var calls atomic.Int64
	enough := make(chan struct{})
	l := NewLease(LeaseOptions{KV: kv, Key: "shard-0", Holder: "r0", TTL: leaseTTL, Log: zerolog.Nop()})
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Run(ctx, func(context.Context, uint64) {
			if calls.Add(1) == 20 {
				close(enough)
			}
		})
	}()
	select {
	case <-enough:
	case <-time.After(leaseTTL / 3):
	}
	cancel()
	<-done
	if n := calls.Load(); n >= 20 {
		t.Errorf("lead that fails at once was called %d times within %v: hot loop", n, leaseTTL/3)
	}
}
