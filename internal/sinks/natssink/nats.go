// Package natssink publishes events to NATS: core NATS (at least once) or JetStream with
// the event id as Nats-Msg-Id (effectively once within the stream's duplicate window).
package natssink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/sinks"
)

// Options configure the sink.
type Options struct {
	URL            string
	SubjectPrefix  string
	JetStream      bool
	Stream         string
	PublishTimeout time.Duration // per batch; default 10s
	MaxInFlight    int           // JetStream async publishes awaiting an ack; default 256
	Replicas       int           // replicas of a stream this sink creates; default 1
	Connect        []nats.Option // credentials, TLS, ...
	Log            zerolog.Logger
	// AckTimeout is how long a JetStream publish waits for its ack; default half of
	// PublishTimeout, so that a timed-out batch has the other half to find its stream
	// deleted, create it and go again.
	AckTimeout time.Duration
}

// Sink publishes to NATS.
type Sink struct {
	o   Options
	nc  *nats.Conn
	js  jetstream.JetStream
	log zerolog.Logger

	mu          sync.Mutex
	streamReady bool

	readyMu sync.Mutex
	ready   chan struct{} // closed at the next (re)connect, then replaced

	servers string                 // the configured URLs without credentials, for the log
	server  atomic.Pointer[string] // the server last connected to, without credentials
	failing atomic.Bool            // a failed connection attempt has been logged
	closing atomic.Bool            // Close was called: the close is ours
}

// connected logs a (re)connection and wakes the deliveries waiting for one.
func (s *Sink) connected(nc *nats.Conn, msg string) {
	srv := redact(nc.ConnectedUrl())
	s.server.Store(&srv)
	s.failing.Store(false)
	s.log.Info().Str("server", srv).Msg(msg)
	s.signalReady()
}

// lastServer is the server last connected to, or the configured ones before any.
func (s *Sink) lastServer() string {
	if p := s.server.Load(); p != nil && *p != "" {
		return *p
	}
	return s.servers
}

// redactList removes the credentials from each URL of a comma-separated list.
func redactList(urls string) string {
	parts := strings.Split(urls, ",")
	for i, u := range parts {
		parts[i] = redact(strings.TrimSpace(u))
	}
	return strings.Join(parts, ",")
}

// redact removes the credentials from a URL: a user and password, or a token in the user
// part (nats://token@host), which url.URL.Redacted would keep. What cannot be parsed is
// left out rather than shown.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		if !strings.Contains(raw, "@") && !strings.Contains(raw, "/") {
			return raw // host:port
		}
		return "(unparsable URL)"
	}
	u.User = nil
	return u.String()
}

// Ready returns a channel closed when the connection next comes (back) up, so that a
// delivery waiting out its backoff goes at once instead of up to 30s later. It is a
// broadcast: every Dispatcher sharing the sink (one per shard) wakes, and a connect that
// nobody waited for leaves nothing behind to cut a later backoff short.
func (s *Sink) Ready() <-chan struct{} {
	s.readyMu.Lock()
	defer s.readyMu.Unlock()
	return s.ready
}

func (s *Sink) signalReady() {
	s.readyMu.Lock()
	defer s.readyMu.Unlock()
	close(s.ready)
	s.ready = make(chan struct{})
}

// New connects. The connection retries in the background when the server is not up yet,
// so events wait in the outbox instead of the process failing.
func New(o Options) (*Sink, error) {
	if o.PublishTimeout <= 0 {
		o.PublishTimeout = 10 * time.Second
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 256
	}
	if o.AckTimeout <= 0 || o.AckTimeout > o.PublishTimeout {
		o.AckTimeout = o.PublishTimeout / 2
	}
	s := &Sink{o: o, log: o.Log, ready: make(chan struct{}), servers: redactList(o.URL)}
	opts := append([]nats.Option{
		nats.Name("dcs-notifier"),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		// No reconnect buffer: while disconnected a publish fails at once and the event
		// stays pending, instead of sitting in a buffer that a restart would lose.
		nats.ReconnectBufSize(-1),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if nc.IsClosed() {
				return // closed: ClosedHandler says so
			}
			s.failing.Store(false) // the next failed attempt is news again
			e := s.log.Warn().Str("server", s.lastServer())
			if err != nil {
				e = e.AnErr("reason", err)
			}
			e.Msg("nats disconnected; events stay pending")
		}),
		// Called for every failed attempt, from the first connection on: the first of a
		// run of failures is logged, with its cause, the others would repeat it every second.
		// The first report, at the failed first connection, only says "no servers
		// available"; the attempt a second later has the cause (connection refused, no
		// such host, authorization violation): that one is logged.
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) {
			if err == nil || errors.Is(err, nats.ErrNoServers) || s.failing.Swap(true) {
				return
			}
			s.log.Error().Str("servers", s.servers).AnErr("reason", err).
				Msg("cannot connect to nats; retrying every second, events stay pending")
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			s.connected(nc, "nats reconnected")
		}),
		nats.ConnectHandler(func(nc *nats.Conn) {
			s.connected(nc, "nats connected")
		}),
		nats.ClosedHandler(func(nc *nats.Conn) {
			if s.closing.Load() {
				s.log.Info().Str("server", s.lastServer()).Msg("nats connection closed")
				return
			}
			e := s.log.Error().Str("server", s.lastServer())
			if err := nc.LastError(); err != nil {
				e = e.AnErr("reason", err)
			}
			e.Msg("nats connection closed; events stay pending")
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			s.log.Warn().Err(err).Str("server", s.lastServer()).Msg("nats error")
		}),
	}, o.Connect...)
	nc, err := nats.Connect(o.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	s.nc = nc
	if o.JetStream {
		// An ack lost while connected (a stream leader election, a deleted stream whose
		// subjects a core subscriber takes) must not hold its slot for good: time it out,
		// and the event is sent again.
		js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(o.MaxInFlight),
			jetstream.WithPublishAsyncTimeout(o.AckTimeout))
		if err != nil {
			nc.Close()
			return nil, fmt.Errorf("nats jetstream: %w", err)
		}
		s.js = js
	}
	return s, nil
}

// Name implements sinks.Sink.
func (s *Sink) Name() string { return "nats" }

// Connected reports whether the connection is up.
func (s *Sink) Connected() bool { return s.nc.IsConnected() }

// Close closes the connection.
func (s *Sink) Close() {
	s.closing.Store(true)
	s.nc.Close()
}

// State is the connection's state, for /readyz: connected, connecting (the first
// connection not made yet), reconnecting, closed, ...
func (s *Sink) State() string { return strings.ToLower(s.nc.Status().String()) }

func (s *Sink) msg(e *event.Event) (*nats.Msg, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, sinks.Permanent(fmt.Errorf("encoding event %s: %w", e.ID, err))
	}
	m := nats.NewMsg(event.Subject(s.o.SubjectPrefix, e))
	m.Data = b
	m.Header.Set(jetstream.MsgIDHeader, e.ID)
	m.Header.Set("Content-Type", "application/cloudevents+json")
	return m, nil
}

// Send implements sinks.Sink.
func (s *Sink) Send(ctx context.Context, evs []event.Event) (int, error) {
	if !s.nc.IsConnected() {
		return 0, fmt.Errorf("nats: not connected (%s)", s.nc.Status())
	}
	ctx, cancel := context.WithTimeout(ctx, s.o.PublishTimeout)
	defer cancel()
	if s.js != nil {
		return s.sendJetStream(ctx, evs)
	}
	return s.sendCore(ctx, evs)
}

// sendCore publishes and then flushes: a flush that returns means the server has read
// everything published before it.
func (s *Sink) sendCore(ctx context.Context, evs []event.Event) (int, error) {
	n := 0
	var perr error
	for i := range evs {
		m, err := s.msg(&evs[i])
		if err == nil {
			err = s.nc.PublishMsg(m)
		}
		if err != nil {
			perr = classify(err)
			break
		}
		n++
	}
	if n > 0 {
		if err := s.nc.FlushWithContext(ctx); err != nil {
			return 0, fmt.Errorf("nats flush: %w", err)
		}
	}
	if perr != nil && !sinks.IsPermanent(perr) {
		perr = fmt.Errorf("nats publish: %w", perr)
	}
	return n, perr
}

// classify marks the errors that retrying cannot cure: an event larger than the server's
// max_payload or the stream's maximum message size. Retried, it would hold every later
// event back for good; dropped (for NATS only, logged by the dispatcher), the rest flows.
func classify(err error) error {
	if errors.Is(err, nats.ErrMaxPayload) || errors.Is(err, jetstream.ErrStreamMessageExceedsMaximum) {
		return sinks.Permanent(err)
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamMessageExceedsMaximum {
		return sinks.Permanent(err)
	}
	return err
}
