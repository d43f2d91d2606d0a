package sinks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/metrics"
)

type memQueue struct{ wake chan struct{} }

func (q *memQueue) Pending(string, int) []event.Event            { return []event.Event{{ID: "e1"}} }
func (q *memQueue) Done(context.Context, string, []string) error { return nil }
func (q *memQueue) Wake(string) <-chan struct{}                  { return q.wake }
func (q *memQueue) Count(string) int                             { return 1 }

type downSink struct{ name string }

func (s downSink) Name() string { return s.name }
func (s downSink) Send(context.Context, []event.Event) (int, error) {
	return 0, errors.New("connection refused")
}

// logLines hands each log line (zerolog writes one per Write) to a channel.
type logLines chan []byte

func (l logLines) Write(p []byte) (int, error) {
	l <- append([]byte(nil), p...)
	return len(p), nil
}

// docs/operations.md: "between attempts it never exceeds 30 s". The cap holds with the jitter
// included: a sink whose backoff starts at the cap (MinBackoff = 30s) waits at most 30s,
// not up to 45s. Twenty sinks give twenty draws of that first wait.
func TestSinkBackoffNeverExceedsCap(t *testing.T) {
	const sinks = 20
	lines := make(logLines, sinks)
	var ss []Sink
	for i := range sinks {
		ss = append(ss, downSink{fmt.Sprintf("s%d", i)})
	}
	d := NewDispatcher(DispatcherOptions{Queue: &memQueue{wake: make(chan struct{})}, Sinks: ss, Log: zerolog.New(lines),
		Metrics: metrics.New(prometheus.NewRegistry(), "test"), MinBackoff: 30 * time.Second, MaxBackoff: 5 * time.Minute})
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		d.Run(ctx)
	}()
	for range sinks { // each sink fails once, then waits out its first backoff
		var l struct {
			Message string `json:"message"`
			RetryIn string `json:"retry_in"` // a Go duration
		}
		if err := json.Unmarshal(<-lines, &l); err != nil {
			t.Fatal(err)
		}
		wait, err := time.ParseDuration(l.RetryIn)
		if err != nil {
			t.Fatalf("retry_in %q: %v", l.RetryIn, err)
		}
		if wait > maxSinkBackoff || wait <= 0 {
			t.Errorf("%q: a sink waits %v between two delivery attempts; want (0, %v]", l.Message, wait, maxSinkBackoff)
		}
	}
	cancel()
	<-stopped
}
