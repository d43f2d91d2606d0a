// Package sinks delivers committed events to their destinations. Each destination is a
// Sink; the Dispatcher runs one worker per sink, so a slow or dead destination never delays
// another, and it alone decides when to retry.
package sinks

import (
	"context"
	"time"

	"notifier/internal/event"
)

// Sink delivers events to one destination.
type Sink interface {
	// Name identifies the sink in the outbox, logs and metrics ("nats", "oncall"); it
	// must be stable across restarts and never contain a secret.
	Name() string
	// Send delivers evs in order and returns how many, from the start, were delivered.
	// An error wrapped with retry.Permanent means evs[n] can never be delivered; any
	// other error is worth retrying (after the delay a *retry.RetryAfterError asks for).
	Send(ctx context.Context, evs []event.Event) (n int, err error)
}

// Memory is what a receiver remembers per project across restarts, SIGKILLs and
// fail-overs: saved with the project's state (state.Memory is the real one). Values are
// the receiver's own encoding; "" forgets a key.
type Memory interface {
	Recall(project, key string) (string, bool)
	Recollect() map[string]map[string]string // project → key → value, a copy
	Remember(ctx context.Context, project string, kv map[string]string) error
	// Watched is false for a project no longer polled (removed from the config, or no
	// longer discovered): no event will end what the receiver holds for it, so its Tick
	// ends it (resolves what it opened) and forgets it.
	Watched(project string) bool
}

// Remembering is a Sink that keeps something per task or project between deliveries (a
// Slack card's ts, the incidents it opened). The Dispatcher calls SendWith, with the
// memory of the queue it delivers from, instead of Send.
type Remembering interface {
	Sink
	SendWith(ctx context.Context, evs []event.Event, mem Memory) (n int, err error)
}

// Selective is a Remembering sink that may take an event and send nothing for it: an
// on-call receiver is given every event that may end an incident it opened, and sends
// only what opens, updates or resolves one. The Dispatcher calls SendSelect instead of
// SendWith and reports those events apart (Result.Unsent), so that nobody is told an
// event was sent when no request went out.
type Selective interface {
	Remembering
	// SendSelect is SendWith that also returns the ids of the delivered events (of the
	// first n) it sent nothing for.
	SendSelect(ctx context.Context, evs []event.Event, mem Memory) (n int, unsent []string, err error)
}

// Ticker is a Sink with work to do even when no event comes (Alertmanager re-sends its
// active alerts). The Dispatcher calls Tick about every TickEvery, from the sink's worker,
// never at the same time as a Send to it.
type Ticker interface {
	Sink
	TickEvery() time.Duration
	Tick(ctx context.Context, mem Memory) error
}

// Forgetful is a Memory that keeps nothing: the memory of a Dispatcher built without one,
// and of a Remembering sink's plain Send (a test notification).
type Forgetful struct{}

func (Forgetful) Recall(string, string) (string, bool)                      { return "", false }
func (Forgetful) Recollect() map[string]map[string]string                   { return nil }
func (Forgetful) Remember(context.Context, string, map[string]string) error { return nil }
func (Forgetful) Watched(string) bool                                       { return true }
