package natssink

import (
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/natsconn"
	"notifier/internal/testkit/natstest"
	"notifier/internal/testkit/testutil"
)

// A sink given a connection publishes on it and leaves it to its owner: closing the sink
// does not close it (the nats-kv state lives on it), closing it is the owner's, and the
// sink then says so.
func TestSinkOnAGivenConnection(t *testing.T) {
	srv := natstest.RunJetStream(t, natstest.CoreOnly())
	nc, _ := natstest.Connect(t, srv)
	sub, err := nc.SubscribeSync("dcs.tasks.>")
	if err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	c, err := natsconn.Dial(natsconn.Options{URL: srv.ClientURL(), Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := New(Options{Conn: c, URL: "nats://127.0.0.1:1", SubjectPrefix: "dcs.tasks", Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "the given connection up", s.Connected)
	if n, err := s.Send(t.Context(), []event.Event{testEvent("a", "FAILED")}); n != 1 || err != nil {
		t.Fatalf("Send = %d, %v", n, err)
	}
	if _, err := sub.NextMsg(5 * time.Second); err != nil {
		t.Fatalf("nothing published on the given connection (not the URL): %v", err)
	}
	s.Close()
	if !c.Connected() {
		t.Fatal("closing the sink closed the connection its owner gave it")
	}
	c.Close()
	if st := s.State(); st != "closed" {
		t.Errorf("State after the owner closed the connection = %q, want closed", st)
	}
}
