package sinks

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/metrics"
	"notifier/internal/testkit/testutil"
)

// cardSink remembers, per task, how many of its events it saw, and ticks.
type cardSink struct {
	ticks    chan map[string]map[string]string
	inFlight sync.Mutex // held by Send and Tick: the Dispatcher never runs both at once
}

func (s *cardSink) Name() string { return "cards" }
func (s *cardSink) Send(context.Context, []event.Event) (int, error) {
	panic("a Remembering sink is sent to with SendWith")
}

func (s *cardSink) SendWith(ctx context.Context, evs []event.Event, mem Memory) (int, error) {
	if !s.inFlight.TryLock() {
		panic("SendWith while a Tick runs")
	}
	defer s.inFlight.Unlock()
	for i, e := range evs {
		v, _ := mem.Recall(e.Data.ProjectID, e.Subject)
		if err := mem.Remember(ctx, e.Data.ProjectID, map[string]string{e.Subject: v + "x"}); err != nil {
			return i, err
		}
	}
	return len(evs), nil
}

func (s *cardSink) TickEvery() time.Duration { return time.Millisecond }
func (s *cardSink) Tick(_ context.Context, mem Memory) error {
	if !s.inFlight.TryLock() {
		panic("Tick while a SendWith runs")
	}
	defer s.inFlight.Unlock()
	select {
	case s.ticks <- mem.Recollect():
	default:
	}
	return nil
}

// A Remembering sink is handed its queue's memory with every batch, and a Ticker is
// ticked with it, never at the same time as a delivery.
func TestDispatcherHandsRememberingSinksTheirMemoryAndTicks(t *testing.T) {
	q := &listQueue{wake: make(chan struct{}, 1)}
	for _, id := range []string{"a", "b", "c"} {
		q.evs = append(q.evs, event.Event{ID: id, Subject: "t1", Data: event.Data{ProjectID: "p1"}})
	}
	mem := testutil.NewMemory()
	s := &cardSink{ticks: make(chan map[string]map[string]string, 1)}
	d := NewDispatcher(DispatcherOptions{Queue: q, Sinks: []Sink{s}, Log: zerolog.Nop(),
		Metrics: metrics.New(prometheus.NewRegistry(), "test"), MinBackoff: 1,
		Memory: func(name string) Memory {
			if name != "cards" {
				t.Errorf("memory asked for %q", name)
			}
			return mem
		}})
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		d.Run(ctx)
	}()
	defer func() { cancel(); <-stopped }()
	if err := d.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	if v, _ := mem.Recall("p1", "t1"); v != "xxx" {
		t.Fatalf("memory after three events of one task: %q, want xxx", v)
	}
	for seen := range s.ticks { // ticks go on with nothing to send, and see the memory
		if seen["p1"]["t1"] == "xxx" {
			break
		}
	}
}
