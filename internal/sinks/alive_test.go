package sinks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/metrics"
	"notifier/internal/testkit/testutil"
)

// A liveness check reads from Stalled which receivers' workers are wedged: one in a Send
// past its bound, one that has not woken long after its backoff should have ended. A
// worker waiting for events, or in a Send within its bound, is not. The times asked about
// are in the future, so nothing waits for a bound to pass.
func TestStalledNamesWedgedWorkers(t *testing.T) {
	const bound, grace = 2 * time.Hour, time.Minute
	run := func(d *Dispatcher) func() {
		ctx, cancel := context.WithCancel(t.Context())
		stopped := make(chan struct{})
		go func() {
			defer close(stopped)
			d.Run(ctx)
		}()
		return func() { cancel(); <-stopped }
	}
	m := metrics.New(prometheus.NewRegistry(), "test")

	// Idle: nothing to send, however long.
	settled := make(chan struct{}, 1)
	idle := NewDispatcher(DispatcherOptions{Queue: &countQueue{wake: make(chan struct{}), settled: settled},
		Sinks: []Sink{stuckSink{settled: settled}}, Log: zerolog.Nop(), Metrics: m})
	stop := run(idle)
	<-settled
	if got := idle.Stalled(time.Now().Add(100*time.Hour), bound, grace); len(got) != 0 {
		t.Errorf("an idle worker is stalled: %v", got)
	}
	stop()

	// Sending: a Send that never ends is within its bound, then past it.
	settled = make(chan struct{}, 1)
	busy := NewDispatcher(DispatcherOptions{Queue: &countQueue{n: 1, wake: make(chan struct{}), settled: make(chan struct{}, 1)},
		Sinks: []Sink{stuckSink{settled: settled}}, Log: zerolog.Nop(), Metrics: m})
	stop = run(busy)
	<-settled
	if got := busy.Stalled(time.Now().Add(time.Hour), bound, grace); len(got) != 0 {
		t.Errorf("a Send running for 1h of a 2h bound is stalled: %v", got)
	}
	if got := busy.Stalled(time.Now().Add(3*time.Hour), bound, grace); len(got) != 1 || !strings.HasPrefix(got[0], "receiver nats: one delivery step running for") {
		t.Errorf("a Send running for 3h: Stalled = %v, want the receiver named", got)
	}
	stop()
	if got := busy.Stalled(time.Now().Add(100*time.Hour), bound, grace); len(got) != 0 {
		t.Errorf("a stopped dispatcher is stalled: %v", got)
	}

	// Backing off: a failed delivery sleeps about 30s; an hour later it should have woken.
	down := NewDispatcher(DispatcherOptions{Queue: &memQueue{wake: make(chan struct{})}, Sinks: []Sink{downSink{"oncall"}},
		Log: zerolog.Nop(), Metrics: m, MinBackoff: 30 * time.Second})
	stop = run(down)
	defer stop()
	testutil.Eventually(t, "the worker to back off", func() bool {
		got := down.Stalled(time.Now().Add(time.Hour), bound, grace)
		return len(got) == 1 && strings.HasPrefix(got[0], "receiver oncall: its worker should have woken")
	})
	if got := down.Stalled(time.Now(), bound, grace); len(got) != 0 {
		t.Errorf("a worker within its backoff is stalled: %v", got)
	}
}
