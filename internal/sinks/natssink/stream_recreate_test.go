package natssink

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/retry"
	"notifier/internal/testkit/natstest"
	"notifier/internal/testkit/testutil"
)

// docs/receivers.md: "The stream ... is created if missing" holds for the life of the process: when
// the stream is deleted (to change its settings, or lost with a single-replica node's
// store), the next Send looks it up again, creates it, and delivers its whole batch, in
// order; a batch sent again is dropped by the new stream as duplicates. No restart of the
// notifier is needed.
func TestDeletedStreamIsRecreated(t *testing.T) {
	srv := natstest.RunJetStream(t)
	s, err := New(Options{URL: srv.ClientURL(), SubjectPrefix: "dcs.tasks", JetStream: true, Stream: "DCS_TASKS", Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if n, err := s.Send(t.Context(), []event.Event{testEvent("a", "RUNNING")}); n != 1 || err != nil {
		t.Fatalf("first send: %d %v", n, err)
	}
	_, js := natstest.Connect(t, srv) // the stream's operator
	if err := js.DeleteStream(t.Context(), "DCS_TASKS"); err != nil {
		t.Fatal(err)
	}

	evs := []event.Event{testEvent("b", "FAILED"), testEvent("c", "FAILED"), testEvent("d", "SUCCESS")}
	if n, err := s.Send(t.Context(), evs); n != len(evs) || err != nil {
		t.Fatalf("first send after the stream was deleted = %d, %v; want %d, nil", n, err, len(evs))
	}
	if n, err := s.Send(t.Context(), evs[1:]); n != 2 || err != nil {
		t.Fatalf("send again = %d, %v; want 2, nil", n, err)
	}
	streamHolds(t, js, evs)
}

// The usual case: downstream services listen on the subjects with core NATS. A publish to
// the deleted stream is then taken by the subscriber alone, and no ack comes (rather than
// "no responders"): the timed-out ack makes the sink look the stream up, create it and
// send again. Each event lands in the new stream once, and the subscriber loses none.
func TestDeletedStreamIsRecreatedWhileACoreSubscriberListens(t *testing.T) {
	srv := natstest.RunJetStream(t)
	s, err := New(Options{URL: srv.ClientURL(), SubjectPrefix: "dcs.tasks", JetStream: true, Stream: "DCS_TASKS",
		AckTimeout: time.Second, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if n, err := s.Send(t.Context(), []event.Event{testEvent("a", "RUNNING")}); n != 1 || err != nil {
		t.Fatalf("first send: %d %v", n, err)
	}
	nc, js := natstest.Connect(t, srv) // the stream's operator and a downstream service
	var mu sync.Mutex
	seen := map[string]int{}
	sub, err := nc.Subscribe("dcs.tasks.>", func(m *nats.Msg) {
		mu.Lock()
		seen[m.Header.Get(jetstream.MsgIDHeader)]++
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteStream(t.Context(), "DCS_TASKS"); err != nil {
		t.Fatal(err)
	}

	evs := []event.Event{testEvent("b", "FAILED"), testEvent("c", "FAILED"), testEvent("d", "SUCCESS")}
	if n, err := s.Send(t.Context(), evs); n != len(evs) || err != nil {
		t.Fatalf("send after the stream was deleted, a subscriber listening = %d, %v; want %d, nil", n, err, len(evs))
	}
	if n, err := s.Send(t.Context(), evs); n != len(evs) || err != nil {
		t.Fatalf("send again = %d, %v; want %d, nil", n, err, len(evs))
	}
	streamHolds(t, js, evs)
	testutil.Eventually(t, "the subscriber to get every event", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return seen[evs[0].ID] > 0 && seen[evs[1].ID] > 0 && seen[evs[2].ID] > 0
	})
}

// streamHolds checks that stream DCS_TASKS exists and holds evs, each once, in order.
func streamHolds(t *testing.T, js jetstream.JetStream, evs []event.Event) {
	t.Helper()
	st, err := js.Stream(t.Context(), "DCS_TASKS")
	if err != nil {
		t.Fatalf("the stream was not created again: %v", err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != uint64(len(evs)) {
		t.Errorf("new stream holds %d messages, want %d (each once)", info.State.Msgs, len(evs))
	}
	for i, want := range evs {
		m, err := st.GetMsg(t.Context(), uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Header.Get(jetstream.MsgIDHeader); got != want.ID {
			t.Errorf("message %d is event %s, want %s (in order)", i+1, got, want.ID)
		}
	}
}

// A stream of ours that does not take our subjects is a retryable error that names it:
// the events stay pending (not dropped) and go once its owner fixes the subjects.
func TestStreamWithoutOurSubjectsIsRetried(t *testing.T) {
	srv := natstest.RunJetStream(t)
	_, js := natstest.Connect(t, srv) // the stream's operator
	cfg := jetstream.StreamConfig{Name: "DCS_TASKS", Subjects: []string{"other.>"}}
	if _, err := js.CreateStream(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{URL: srv.ClientURL(), SubjectPrefix: "dcs.tasks", JetStream: true, Stream: "DCS_TASKS", Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	evs := []event.Event{testEvent("a", "FAILED")}
	n, err := s.Send(t.Context(), evs)
	if n != 0 || err == nil || retry.IsPermanent(err) || !strings.Contains(err.Error(), "DCS_TASKS") {
		t.Fatalf("Send = %d, %v; want 0 and a retryable error naming the stream", n, err)
	}
	cfg.Subjects = append(cfg.Subjects, "dcs.tasks.>")
	if _, err := js.UpdateStream(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Send(t.Context(), evs); n != 1 || err != nil {
		t.Fatalf("Send once the stream takes our subjects = %d, %v; want 1, nil", n, err)
	}
}
