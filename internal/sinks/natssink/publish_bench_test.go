package natssink

import (
	"fmt"
	"testing"

	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/testkit/natstest"
)

func burstEvents(n int) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = testEvent(fmt.Sprintf("%032x", i), "RUNNING")
	}
	return evs
}

func benchBurst(b *testing.B, jetStream bool) {
	srv := natstest.RunJetStream(b)
	s, err := New(Options{URL: srv.ClientURL(), SubjectPrefix: "dcs.tasks", JetStream: jetStream, Stream: "BENCH", Log: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const n = 10_000
	evs := burstEvents(n)
	b.ReportAllocs()
	round := 0
	for b.Loop() {
		round++
		for i := range evs { // new ids, or the stream drops them as duplicates
			evs[i].ID = fmt.Sprintf("%d-%d", round, i)
		}
		for sent := 0; sent < n; {
			k, err := s.Send(b.Context(), evs[sent:min(sent+500, n)])
			if err != nil {
				b.Fatal(err)
			}
			sent += k
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/event")
}

// BenchmarkPublishBurst publishes 10,000 events to core NATS in the Dispatcher's batches
// (each batch flushed).
func BenchmarkPublishBurst(b *testing.B) { benchBurst(b, false) }

// BenchmarkPublishBurstJetStream publishes 10,000 events to JetStream, asynchronously
// with a bounded number in flight, waiting for every ack.
func BenchmarkPublishBurstJetStream(b *testing.B) { benchBurst(b, true) }
