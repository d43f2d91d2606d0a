package cluster

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/testkit/natstest"
)

// Replicas with cluster.shards = 1 and = 2 (a rolling change of it) would lead overlapping
// shards and fence each other in turn. The layout key keeps the new layout waiting while a
// replica of the running one lives, never lets both work at once, and hands over within
// about a TTL once the old replica stops.
func TestReplicasWithAnotherShardCountWaitForTheRunningOnes(t *testing.T) {
	const ttl = time.Second
	_, js := natstest.Connect(t, natstest.RunJetStream(t))
	kv, err := LeaseBucket(t.Context(), js, "leases", ttl, 1)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	working, most := map[string]bool{}, 0
	started := make(chan string, 10)
	work := func(name string) func(context.Context) {
		return func(ctx context.Context) {
			mu.Lock()
			working[name] = true
			most = max(most, len(working))
			mu.Unlock()
			started <- name
			<-ctx.Done()
			mu.Lock()
			delete(working, name)
			mu.Unlock()
		}
	}
	waiting := make(chan string, 1)
	run := func(ctx context.Context, name, value string, onWait func(string)) chan struct{} {
		done := make(chan struct{})
		l := NewLayout(LayoutOptions{KV: kv, Value: value, TTL: ttl, Log: zerolog.Nop(), OnWait: onWait})
		go func() { defer close(done); l.Run(ctx, work(name)) }()
		return done
	}
	oldCtx, stopOld := context.WithCancel(t.Context())
	oldDone := run(oldCtx, "old", "shards=1", nil)
	if got := <-started; got != "old" {
		t.Fatalf("%s started first", got)
	}
	newCtx, stopNew := context.WithCancel(t.Context())
	newDone := run(newCtx, "new", "shards=2", func(other string) { waiting <- other })
	defer func() { stopNew(); <-newDone }()
	select {
	case other := <-waiting:
		if other != "shards=1" {
			t.Errorf("the new replica waits for layout %q, want shards=1", other)
		}
	case <-time.After(10 * ttl):
		t.Fatal("the new replica never saw the running layout")
	}
	// Nothing but time can show that the new replica keeps waiting while the old one lives.
	time.Sleep(2 * ttl)
	select {
	case got := <-started:
		t.Fatalf("%s started while the old layout's replica is running", got)
	default:
	}
	stopOld()
	<-oldDone
	select {
	case got := <-started:
		if got != "new" {
			t.Fatalf("%s started, want new", got)
		}
	case <-time.After(10 * ttl):
		t.Fatal("the new layout never took over after the old replica stopped")
	}
	mu.Lock()
	if most != 1 {
		t.Errorf("%d replicas of different layouts worked at once", most)
	}
	mu.Unlock()
}
