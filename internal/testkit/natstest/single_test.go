package natstest

import (
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A restarted server is where its clients look for it (the same URL) with the store it
// had: a stream created before the restart is still there.
func TestRestartableKeepsPortAndStore(t *testing.T) {
	s := Restartable(t)
	url := s.URL()
	_, js := Connect(t, s.Running())
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: "KEPT", Subjects: []string{"kept"}}); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if s.Running() != nil {
		t.Fatal("Running is not nil after Stop")
	}
	if _, err := nats.Connect(url, nats.MaxReconnects(0)); err == nil {
		t.Fatal("connected to a stopped server")
	}
	s.Start()
	if s.URL() != url {
		t.Fatalf("URL after a restart = %s, want %s", s.URL(), url)
	}
	_, js = Connect(t, s.Running())
	if _, err := js.Stream(t.Context(), "KEPT"); err != nil {
		t.Errorf("the stream is gone after a restart: %v", err)
	}
}

// Options change the server: core NATS has no JetStream, a token is required.
func TestOptionsChangeTheServer(t *testing.T) {
	srv := RunJetStream(t, CoreOnly(), Token("s3cret"), MaxPayload(1024))
	if srv.JetStreamEnabled() {
		t.Error("JetStream is on with CoreOnly")
	}
	if _, err := nats.Connect(srv.ClientURL()); err == nil {
		t.Error("connected without the token")
	}
	nc, err := nats.Connect(srv.ClientURL(), nats.Token("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if got := nc.MaxPayload(); got != 1024 {
		t.Errorf("max payload %d, want 1024", got)
	}
}
