// Package natssink publishes events to NATS: core NATS (at least once) or JetStream with
// the event id as Nats-Msg-Id (effectively once within the stream's duplicate window).
package natssink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/natsconn"
	"notifier/internal/retry"
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
	MaxAge         time.Duration // age past which a stream this sink creates drops an event; 0: none
	MaxBytes       int64         // size past which a stream this sink creates drops the oldest; 0: none
	Connect        []nats.Option // credentials, TLS, ...
	Log            zerolog.Logger
	// AckTimeout is how long a JetStream publish waits for its ack; default half of
	// PublishTimeout, so that a timed-out batch has the other half to find its stream
	// deleted, create it and go again.
	AckTimeout time.Duration
	// Conn, when set, is the connection to publish on, which its owner (the app, which
	// shares it with the nats-kv state) closes: URL and Connect are not used. Nil: the
	// sink connects to URL itself and closes that connection at Close.
	Conn *natsconn.Conn
}

// Sink publishes to NATS.
type Sink struct {
	o     Options
	conn  *natsconn.Conn
	owned bool // conn is the sink's own: Close closes it
	nc    *nats.Conn
	js    jetstream.JetStream
	log   zerolog.Logger

	mu          sync.Mutex
	streamReady bool
}

// Ready returns a channel closed when the connection next comes (back) up, so that a
// delivery waiting out its backoff goes at once instead of up to 30s later
// (natsconn.Conn.Ready).
func (s *Sink) Ready() <-chan struct{} { return s.conn.Ready() }

// New returns the sink on o.Conn, or connects to o.URL. The connection retries in the
// background when the server is not up yet, so events wait in the outbox instead of the
// process failing.
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
	s := &Sink{o: o, log: o.Log, conn: o.Conn}
	if s.conn == nil {
		c, err := natsconn.Dial(natsconn.Options{URL: o.URL, Connect: o.Connect, Log: o.Log})
		if err != nil {
			return nil, err
		}
		s.conn, s.owned = c, true
	}
	nc := s.conn.NC()
	s.nc = nc
	if o.JetStream {
		// An ack lost while connected (a stream leader election, a deleted stream whose
		// subjects a core subscriber takes) must not hold its slot for good: time it out,
		// and the event is sent again.
		js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(o.MaxInFlight),
			jetstream.WithPublishAsyncTimeout(o.AckTimeout))
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("nats jetstream: %w", err)
		}
		s.js = js
	}
	return s, nil
}

// Name implements sinks.Sink.
func (s *Sink) Name() string { return "nats" }

// Connected reports whether the connection is up.
func (s *Sink) Connected() bool { return s.conn.Connected() }

// Close closes the connection when it is the sink's own; a given one is its owner's.
func (s *Sink) Close() {
	if s.owned {
		s.conn.Close()
	}
}

// State is the connection's state: connected, connecting (the first connection not made
// yet), reconnecting, closed, ...
func (s *Sink) State() string { return s.conn.State() }

func (s *Sink) msg(e *event.Event) (*nats.Msg, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, retry.Permanent(fmt.Errorf("encoding event %s: %w", e.ID, err))
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
	if perr != nil && !retry.IsPermanent(perr) {
		perr = fmt.Errorf("nats publish: %w", perr)
	}
	return n, perr
}

// classify marks the errors that retrying cannot cure: an event larger than the server's
// max_payload or the stream's maximum message size. Retried, it would hold every later
// event back for good; dropped (for NATS only, logged by the dispatcher), the rest flows.
func classify(err error) error {
	if errors.Is(err, nats.ErrMaxPayload) || errors.Is(err, jetstream.ErrStreamMessageExceedsMaximum) {
		return retry.Permanent(err)
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamMessageExceedsMaximum {
		return retry.Permanent(err)
	}
	return err
}
