package sinks

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	promtestutil "github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/metrics"
)

// countQueue holds n events; settled is signalled when a worker finds nothing to send.
type countQueue struct {
	n       int
	wake    chan struct{}
	settled chan struct{}
}

func (q *countQueue) Pending(string, int) []event.Event {
	if q.n == 0 {
		return nil
	}
	return make([]event.Event, q.n)
}
func (q *countQueue) Done(context.Context, string, []string) error { return nil }
func (q *countQueue) Count(string) int                             { return q.n }
func (q *countQueue) Wake(string) <-chan struct{} {
	signal(q.settled)
	return q.wake
}

// stuckSink never completes a Send; settled is signalled when one starts.
type stuckSink struct{ settled chan struct{} }

func (s stuckSink) Name() string { return "nats" }
func (s stuckSink) Send(ctx context.Context, _ []event.Event) (int, error) {
	signal(s.settled)
	<-ctx.Done()
	return 0, ctx.Err()
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// nats-kv with cluster.shards > 1: a replica leading several shards runs one Dispatcher
// per shard over the same sinks and the same metrics. notifier_pending_events{sink} is
// the sum over those shards (not whichever shard wrote last: 0 while five events wait),
// and a shard whose Dispatcher stops takes its share out.
func TestPendingGaugeSumsShards(t *testing.T) {
	tests := []struct {
		name   string
		shards []int // events pending in each shard
	}{
		{name: "one shard empty", shards: []int{5, 0}},
		{name: "both pending", shards: []int{5, 3}},
		{name: "empty first", shards: []int{0, 5, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metrics.New(prometheus.NewRegistry(), "test")
			want := 0
			var stops []func()
			for _, n := range tt.shards {
				settled := make(chan struct{}, 1)
				d := NewDispatcher(DispatcherOptions{Queue: &countQueue{n: n, wake: make(chan struct{}), settled: settled},
					Sinks: []Sink{stuckSink{settled: settled}}, Log: zerolog.Nop(), Metrics: m})
				ctx, cancel := context.WithCancel(t.Context())
				stopped := make(chan struct{})
				go func() {
					defer close(stopped)
					d.Run(ctx)
				}()
				stops = append(stops, func() { cancel(); <-stopped })
				<-settled // this shard has reported its count and is sending or idle
				want += n
				if got := pendingValue(m); got != float64(want) {
					t.Errorf("notifier_pending_events{sink=nats} = %v while %d events are pending", got, want)
				}
			}
			for i, stop := range stops {
				stop()
				want -= tt.shards[i]
				if got := pendingValue(m); got != float64(want) {
					t.Errorf("after shard %d stopped: notifier_pending_events{sink=nats} = %v, want %d", i, got, want)
				}
			}
		})
	}
}

func pendingValue(m *metrics.Metrics) float64 {
	return promtestutil.ToFloat64(m.Pending.WithLabelValues("nats"))
}
