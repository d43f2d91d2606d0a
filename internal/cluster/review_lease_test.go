package cluster

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/test"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
)

// When lead returns at once (app.lead does so whenever the shard's state cannot be
// loaded: an unreadable key, a key of a newer term, NATS hiccups), Run releases the lease
// and immediately wins it again, with no pause: a hot loop of Create/Get/Delete against
// NATS and an Error log line per turn, for as long as the cause lasts. Within one renewal
// interval (TTL/3) a lead that fails at once should be retried a handful of times at most.
func TestReviewLeaseFailingLeadIsNotAHotLoop(t *testing.T) {
	opts := natsserver.DefaultTestOptions
	opts.Port = -1
	opts.JetStream = true
	opts.StoreDir = t.TempDir()
	srv := natsserver.RunServer(&opts)
	t.Cleanup(srv.Shutdown)
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
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
