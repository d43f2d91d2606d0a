package natssink

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/diff"
	"notifier/internal/event"
	"notifier/internal/metrics"
	"notifier/internal/sinks"
	"notifier/internal/state"
	"notifier/internal/testkit/natstest"
)

// An event larger than the server's max_payload (a task with a large details field, or a
// server with a small max_payload) can never be published: the sink reports it as
// permanent, the dispatcher drops it for NATS only, and the events after it are delivered
// (no head-of-line block behind an event that can never go).
func TestOversizedEventDoesNotHoldBackTheEventsAfterIt(t *testing.T) {
	for _, js := range []bool{false, true} {
		name, opts := "jetstream", []natstest.Option{natstest.MaxPayload(4096)}
		if !js {
			name, opts = "core", append(opts, natstest.CoreOnly())
		}
		t.Run(name, func(t *testing.T) {
			srv := natstest.RunJetStream(t, opts...)
			nc, _ := natstest.Connect(t, srv)
			sub, err := nc.SubscribeSync("dcs.tasks.>")
			if err != nil {
				t.Fatal(err)
			}
			nc.Flush()

			s, err := New(Options{URL: srv.ClientURL(), SubjectPrefix: "dcs.tasks", JetStream: js, Stream: "DCS_TASKS", Log: zerolog.Nop()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s.Close)

			store, err := state.OpenFile(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { store.Close() })
			l, _ := state.NewLedger(store, state.Empty(), []string{"nats"})
			big := event.New(event.Transition{ProjectID: "p1", Region: "r", TaskID: "big", TaskName: "modifySpec",
				Status: "SUCCESS", Seq: 1, DetectedAt: time.Now(),
				Task: json.RawMessage(`{"id":"big","details":"` + strings.Repeat("x", 8192) + `"}`)})
			small := testEvent("small", "FAILED")
			if err := l.Commit(t.Context(), "p1", &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{})}, []event.Event{big, small}); err != nil {
				t.Fatal(err)
			}
			d := sinks.NewDispatcher(sinks.DispatcherOptions{Queue: l, Sinks: []sinks.Sink{s}, Log: zerolog.Nop(),
				Metrics: metrics.New(prometheus.NewRegistry(), "test"), MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan struct{})
			go func() { defer close(done); d.Run(ctx) }()
			defer func() { cancel(); <-done }()
			m, err := sub.NextMsg(1500 * time.Millisecond)
			if err != nil {
				t.Errorf("the event after an oversized one never reached NATS: %v (pending %d)", err, l.Count("nats"))
			} else if got := m.Header.Get("Nats-Msg-Id"); got != small.ID {
				t.Errorf("got %s, want the small event", got)
			}
		})
	}
}
