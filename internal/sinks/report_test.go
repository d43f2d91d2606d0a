package sinks

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/metrics"
	"notifier/internal/retry"
)

// listQueue is an in-memory queue of one sink's events.
type listQueue struct {
	mu   sync.Mutex
	evs  []event.Event
	wake chan struct{}
}

func (q *listQueue) Pending(_ string, max int) []event.Event {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]event.Event(nil), q.evs[:min(max, len(q.evs))]...)
}

func (q *listQueue) Done(_ context.Context, _ string, ids []string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.evs = q.evs[len(ids):] // the dispatcher reports done from the head, in order
	return nil
}

func (q *listQueue) Count(string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.evs)
}

func (q *listQueue) Wake(string) <-chan struct{} { return q.wake }

// scriptSink answers its Sends from a script: the first fails, the second refuses its
// second event for good, the rest succeed.
type scriptSink struct{ calls int }

func (s *scriptSink) Name() string { return "oncall" }
func (s *scriptSink) Send(_ context.Context, evs []event.Event) (int, error) {
	s.calls++
	switch s.calls {
	case 1:
		return 0, errors.New("connection refused")
	case 2:
		return 1, retry.Permanent(errors.New("HTTP 404 Not Found: channel_not_found"))
	}
	return len(evs), nil
}

// Report hears every outcome: the retry with its error, the event delivered, the one
// dropped with why, and the rest delivered.
func TestReportHearsEveryOutcome(t *testing.T) {
	q := &listQueue{evs: []event.Event{{ID: "a"}, {ID: "b"}, {ID: "c"}}, wake: make(chan struct{})}
	results := make(chan Result, 10)
	d := NewDispatcher(DispatcherOptions{Queue: q, Sinks: []Sink{&scriptSink{}}, Log: zerolog.Nop(),
		Metrics: metrics.New(prometheus.NewRegistry(), "test"), MinBackoff: 1, Report: func(r Result) { results <- r }})
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		d.Run(ctx)
	}()
	defer func() { cancel(); <-stopped }()
	want := []string{
		"oncall retry [] connection refused",
		"oncall ok [a] <nil>",
		"oncall dropped [b] HTTP 404 Not Found: channel_not_found",
		"oncall ok [c] <nil>",
	}
	for _, w := range want {
		r := <-results
		if got := fmt.Sprintf("%s %s %v %v", r.Sink, r.Outcome, r.IDs, r.Err); got != w || r.At.IsZero() {
			t.Errorf("result %q (at %v), want %q", got, r.At, w)
		}
	}
}

// selectiveSink takes every event and sends nothing for those whose id starts with "q".
type selectiveSink struct{ scriptSink }

func (s *selectiveSink) SendWith(ctx context.Context, evs []event.Event, _ Memory) (int, error) {
	return s.Send(ctx, evs)
}

func (s *selectiveSink) SendSelect(_ context.Context, evs []event.Event, _ Memory) (int, []string, error) {
	var unsent []string
	for _, e := range evs {
		if e.ID[0] == 'q' {
			unsent = append(unsent, e.ID)
		}
	}
	return len(evs), unsent, nil
}

// A Selective sink's events it sent nothing for are reported apart, among those done.
func TestReportSaysWhatWasNotSent(t *testing.T) {
	q := &listQueue{evs: []event.Event{{ID: "a"}, {ID: "q1"}, {ID: "b"}}, wake: make(chan struct{})}
	results := make(chan Result, 10)
	d := NewDispatcher(DispatcherOptions{Queue: q, Sinks: []Sink{&selectiveSink{}}, Log: zerolog.Nop(),
		Metrics: metrics.New(prometheus.NewRegistry(), "test"), Report: func(r Result) { results <- r }})
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		d.Run(ctx)
	}()
	defer func() { cancel(); <-stopped }()
	r := <-results
	if got := fmt.Sprintf("%s %v unsent %v", r.Outcome, r.IDs, r.Unsent); got != "ok [a q1 b] unsent [q1]" {
		t.Errorf("result %s, want ok [a q1 b] unsent [q1]", got)
	}
}
