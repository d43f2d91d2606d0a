package natssink

import (
	"net"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	natstest "github.com/nats-io/nats-server/v2/test"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// testOptions are an in-process server's options: a port chosen by the kernel, and with
// js, JetStream on a store of the test's own.
func testOptions(t testing.TB, js bool) server.Options {
	opts := natstest.DefaultTestOptions
	opts.Port = -1
	opts.JetStream = js
	opts.StoreDir = t.TempDir()
	return opts
}

// runServer starts a server that stops when the test ends. It records the port in opts,
// so that starting it again with the same opts restarts it where clients look for it.
func runServer(t testing.TB, opts *server.Options) *server.Server {
	t.Helper()
	srv := natstest.RunServer(opts)
	t.Cleanup(srv.Shutdown)
	opts.Port = srv.Addr().(*net.TCPAddr).Port
	return srv
}

// adminJS is a JetStream client of the test's own, standing for the stream's operator.
func adminJS(t testing.TB, srv *server.Server) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}
