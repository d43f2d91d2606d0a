package natstest

import (
	"net"
	"sync"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	natsserver "github.com/nats-io/nats-server/v2/test"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Option changes a test server's options before it starts: see CoreOnly, Token,
// MaxPayload and StoreDir, or write one of your own.
type Option func(*server.Options)

// CoreOnly runs core NATS, without JetStream.
func CoreOnly() Option { return func(o *server.Options) { o.JetStream = false } }

// Token makes clients authenticate with token.
func Token(token string) Option { return func(o *server.Options) { o.Authorization = token } }

// MaxPayload sets the largest message the server takes, in bytes.
func MaxPayload(n int32) Option { return func(o *server.Options) { o.MaxPayload = n } }

// StoreDir puts the JetStream store in dir instead of a temporary directory of the test's.
func StoreDir(dir string) Option { return func(o *server.Options) { o.StoreDir = dir } }

// options are nats-server's test defaults with a port chosen by the kernel and JetStream
// on a store of the test's own (an empty StoreDir would be shared between tests), changed
// by opts.
func options(t testing.TB, opts []Option) server.Options {
	o := natsserver.DefaultTestOptions
	o.Port = -1
	o.JetStream = true
	o.StoreDir = t.TempDir()
	for _, f := range opts {
		f(&o)
	}
	return o
}

// RunJetStream starts one JetStream server on a port chosen by the kernel, with a store of
// its own, changed by opts (CoreOnly for a test of core NATS); it stops when the test
// ends.
func RunJetStream(t testing.TB, opts ...Option) *server.Server {
	t.Helper()
	o := options(t, opts)
	srv := natsserver.RunServer(&o)
	t.Cleanup(srv.Shutdown)
	return srv
}

// Server is one test server that can be stopped and started again on the same port and
// store, as a NATS server restarts under its clients. Its methods may be called from any
// goroutine.
type Server struct {
	t    testing.TB
	mu   sync.Mutex
	opts server.Options
	srv  *server.Server // nil while stopped
	url  string
}

// Restartable starts a server as RunJetStream does, but one that Stop and Start can take
// down and bring back where its clients look for it. It stops when the test ends.
func Restartable(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{t: t, opts: options(t, opts)}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Start starts the server again after Stop, on the port and store it had; opts change its
// options from now on (a new token, say). Starting a running server does nothing.
func (s *Server) Start(opts ...Option) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return
	}
	for _, f := range opts {
		f(&s.opts)
	}
	o := s.opts // RunServer keeps the options it is given
	s.srv = natsserver.RunServer(&o)
	s.opts.Port = s.srv.Addr().(*net.TCPAddr).Port // the kernel's choice, kept for restarts
	s.url = s.srv.ClientURL()
}

// Stop shuts the server down and waits until it has. Stopping a stopped server does
// nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		return
	}
	s.srv.Shutdown()
	s.srv.WaitForShutdown()
	s.srv = nil
}

// URL is where clients find the server, the same across restarts.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// Running returns the running nats-server, or nil while it is stopped.
func (s *Server) Running() *server.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv
}

// Connect connects to srv and returns the connection and its JetStream context; the
// connection closes when the test ends.
func Connect(t testing.TB, srv *server.Server) (*nats.Conn, jetstream.JetStream) {
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
	return nc, js
}
