package natssink

import "github.com/nats-io/nats.go"

// Conn returns the sink's connection, for other users of the same server (the nats-kv
// state backend and its leases).
func (s *Sink) Conn() *nats.Conn { return s.nc }
