// Package natsconn is the notifier's connection to NATS. The app opens one from [nats]
// and hands it to the NATS receiver, which publishes on it, and to the nats-kv state
// backend and its leases, which keep their buckets on it: one connection, one owner, who
// closes it last.
//
// The connection is made in the background and remade forever, so that NATS being down
// at a start or for an hour is waited out (events stay pending) rather than fatal; every
// (re)connection wakes whoever waits on Ready.
package natsconn

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"
)

// Options configure a connection.
type Options struct {
	URL     string        // one URL or several, comma-separated
	Connect []nats.Option // credentials, TLS, ...
	Log     zerolog.Logger
}

// Conn is a connection to NATS that reconnects forever.
type Conn struct {
	nc  *nats.Conn
	log zerolog.Logger

	readyMu sync.Mutex
	ready   chan struct{} // closed at the next (re)connect, then replaced

	servers string                 // the configured URLs without credentials, for the log
	server  atomic.Pointer[string] // the server last connected to, without credentials
	failing atomic.Bool            // a failed connection attempt has been logged
	closing atomic.Bool            // Close was called: the close is ours
}

// Dial starts connecting. It returns at once: when the server is not up yet the
// connection is retried in the background, every second, and logged once per run of
// failures. It fails only for options that can never connect.
func Dial(o Options) (*Conn, error) {
	c := &Conn{log: o.Log, ready: make(chan struct{}), servers: redactList(o.URL)}
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
			c.failing.Store(false) // the next failed attempt is news again
			e := c.log.Warn().Str("server", c.lastServer())
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
			if err == nil || errors.Is(err, nats.ErrNoServers) || c.failing.Swap(true) {
				return
			}
			c.log.Error().Str("servers", c.servers).AnErr("reason", err).
				Msg("cannot connect to nats; retrying every second, events stay pending")
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			c.connected(nc, "nats reconnected")
		}),
		nats.ConnectHandler(func(nc *nats.Conn) {
			c.connected(nc, "nats connected")
		}),
		nats.ClosedHandler(func(nc *nats.Conn) {
			if c.closing.Load() {
				c.log.Info().Str("server", c.lastServer()).Msg("nats connection closed")
				return
			}
			e := c.log.Error().Str("server", c.lastServer())
			if err := nc.LastError(); err != nil {
				e = e.AnErr("reason", err)
			}
			e.Msg("nats connection closed; events stay pending")
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			c.log.Warn().Err(err).Str("server", c.lastServer()).Msg("nats error")
		}),
	}, o.Connect...)
	nc, err := nats.Connect(o.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	c.nc = nc
	return c, nil
}

// NC is the connection itself, to publish on and to open JetStream with.
func (c *Conn) NC() *nats.Conn { return c.nc }

// Connected reports whether the connection is up.
func (c *Conn) Connected() bool { return c.nc.IsConnected() }

// State is the connection's state, for /readyz: connected, connecting (the first
// connection not made yet), reconnecting, closed, ...
func (c *Conn) State() string { return strings.ToLower(c.nc.Status().String()) }

// Close closes the connection; its users fail from then on.
func (c *Conn) Close() {
	c.closing.Store(true)
	c.nc.Close()
}

// Ready returns a channel closed when the connection next comes (back) up, so that a
// delivery waiting out its backoff goes at once instead of up to 30s later. It is a
// broadcast: every Dispatcher sharing the connection (one per shard) wakes, and a connect
// that nobody waited for leaves nothing behind to cut a later backoff short.
func (c *Conn) Ready() <-chan struct{} {
	c.readyMu.Lock()
	defer c.readyMu.Unlock()
	return c.ready
}

func (c *Conn) signalReady() {
	c.readyMu.Lock()
	defer c.readyMu.Unlock()
	close(c.ready)
	c.ready = make(chan struct{})
}

// connected logs a (re)connection and wakes the deliveries waiting for one.
func (c *Conn) connected(nc *nats.Conn, msg string) {
	srv := redact(nc.ConnectedUrl())
	c.server.Store(&srv)
	c.failing.Store(false)
	c.log.Info().Str("server", srv).Msg(msg)
	c.signalReady()
}

// lastServer is the server last connected to, or the configured ones before any.
func (c *Conn) lastServer() string {
	if p := c.server.Load(); p != nil && *p != "" {
		return *p
	}
	return c.servers
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
