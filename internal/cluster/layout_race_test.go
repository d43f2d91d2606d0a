package cluster

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"notifier/internal/testkit/natstest"
)

// layoutMiss makes the next Get of the layout key report it missing (it expired), while a
// replica of the same layout creates it again before our Create; every Get is signalled.
type layoutMiss struct {
	jetstream.KeyValue
	miss atomic.Bool
	gets chan struct{}
}

func (k *layoutMiss) Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error) {
	if key == LayoutKey {
		select {
		case k.gets <- struct{}{}:
		default:
		}
		if k.miss.CompareAndSwap(true, false) {
			return nil, jetstream.ErrKeyNotFound
		}
	}
	return k.KeyValue.Get(ctx, key)
}

// Two replicas of the same layout find the layout key expired (NATS was slow for a TTL)
// and both Create it. The loser's Create fails; it reads the key again, finds its own
// layout there, and goes on working.
func TestLosingTheLayoutKeyToTheSameLayoutKeepsWorking(t *testing.T) {
	const ttl = time.Second
	_, js := natstest.Connect(t, natstest.RunJetStream(t))
	kv, err := LeaseBucket(t.Context(), js, "leases", ttl, 1)
	if err != nil {
		t.Fatal(err)
	}
	wk := &layoutMiss{KeyValue: kv, gets: make(chan struct{}, 1)}
	l := NewLayout(LayoutOptions{KV: wk, Value: "shards=1", TTL: ttl, Log: zerolog.Nop()})
	var stops atomic.Int32
	started := make(chan struct{}, 10)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Run(ctx, func(c context.Context) {
			started <- struct{}{}
			<-c.Done()
			stops.Add(1)
		})
	}()
	select {
	case <-started:
	case <-time.After(5 * ttl):
		t.Fatal("never worked")
	}
	// The key holds our layout (we created it); our next refresh misses it, and the Create
	// that follows finds it back.
	<-wk.gets
	wk.miss.Store(true)
	for range 2 { // the refresh that misses, then the next one
		<-wk.gets
	}
	n := stops.Load()
	cancel()
	<-done
	if n > 0 {
		t.Errorf("work was stopped %d time(s) although the key holds our own layout", n)
	}
}
