package natssink

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/testkit/natstest"
)

func testEvent(id, status string) event.Event {
	e := event.New(event.Transition{ProjectID: "p1", Region: "r", TaskID: id, TaskName: "masterStandbySwapJob",
		Status: status, Seq: 1, Task: json.RawMessage(`{"id":"` + id + `"}`), DetectedAt: time.Now()})
	return e
}

func TestCorePublish(t *testing.T) {
	srv := natstest.RunJetStream(t, natstest.CoreOnly())
	nc, _ := natstest.Connect(t, srv)
	sub, err := nc.SubscribeSync("dcs.tasks.>")
	if err != nil {
		t.Fatal(err)
	}
	nc.Flush()

	s, err := New(Options{URL: srv.ClientURL(), SubjectPrefix: "dcs.tasks", Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	evs := []event.Event{testEvent("a", "FAILED"), testEvent("b", "SUCCESS")}
	if n, err := s.Send(t.Context(), evs); n != 2 || err != nil {
		t.Fatalf("Send = %d, %v", n, err)
	}
	for _, want := range evs {
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject != "dcs.tasks.p1.masterStandbySwapJob."+want.Data.Status || m.Header.Get("Nats-Msg-Id") != want.ID {
			t.Errorf("got %s id %s", m.Subject, m.Header.Get("Nats-Msg-Id"))
		}
	}

	srv.Shutdown()
	srv.WaitForShutdown()
	if n, err := s.Send(t.Context(), evs); n != 0 || err == nil {
		t.Fatalf("with the server down Send = %d, %v; want 0 and an error (nothing buffered)", n, err)
	}
}

func TestJetStreamDropsReplays(t *testing.T) {
	srv := natstest.RunJetStream(t)

	s, err := New(Options{URL: srv.ClientURL(), SubjectPrefix: "dcs.tasks", JetStream: true, Stream: "DCS_TASKS", Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	evs := []event.Event{testEvent("a", "RUNNING"), testEvent("b", "FAILED")}
	if n, err := s.Send(t.Context(), evs); n != 2 || err != nil {
		t.Fatalf("Send = %d, %v", n, err)
	}
	// A replay after a crash: the stream drops what it already has.
	if n, err := s.Send(t.Context(), append(evs, testEvent("c", "SUCCESS"))); n != 3 || err != nil {
		t.Fatalf("replay Send = %d, %v", n, err)
	}
	js, _ := jetstream.New(s.nc)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, "DCS_TASKS")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 3 {
		t.Errorf("stream holds %d messages, want 3 (replays dropped)", info.State.Msgs)
	}
	if subj := info.Config.Subjects; len(subj) != 1 || subj[0] != "dcs.tasks.>" {
		t.Errorf("stream subjects %v", subj)
	}
}
