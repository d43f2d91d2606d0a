package natssink

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"notifier/internal/event"
	"notifier/internal/receiver"
)

// Name is the NATS receiver's name, reserved: no other receiver may take it.
const Name = "nats"

// Spec is the NATS receiver's registry entry: [nats], one table, on unless url is "".
var Spec = &receiver.Spec[Config]{
	Info: receiver.Info{
		Kind: "nats", Key: "nats", Name: Name, Switch: "url", Example: "url = \"nats://127.0.0.1:4222\"\n",
		Help: "publishes every event, a CloudEvent, to NATS or JetStream",
		Env:  []string{"nats.token_env, nats.user_env, nats.password_env  NATS credentials, when set"},
	},
	Common: func(c *Config) *receiver.Common {
		if c.URL == "" {
			return nil
		}
		return &receiver.Common{Name: Name, MaxPending: c.MaxPending}
	},
	Validate: validate,
	Check:    check,
	Open:     open,
	Render:   render,
}

// open builds the receiver on the notifier's connection (Deps.NATS), which the app dials
// from [nats] and shares with the nats-kv state.
func open(c *Config, key string, d receiver.Deps) (receiver.Opened, error) {
	if d.NATS == nil {
		return receiver.Opened{}, fmt.Errorf("%s.url: %w", key, errors.New("no connection to NATS was opened"))
	}
	s, err := New(Options{
		Conn: d.NATS, SubjectPrefix: c.SubjectPrefix, JetStream: c.JetStream,
		Stream: c.Stream, PublishTimeout: c.PublishTimeout.D(),
		Replicas: cmp.Or(c.StreamReplicas, d.Replicas), MaxAge: c.StreamMaxAge.D(), MaxBytes: c.StreamMaxBytes,
		Log: d.Log.With().Str("receiver", Name).Logger(),
	})
	if err != nil {
		return receiver.Opened{}, fmt.Errorf("%s.url: %w", key, err)
	}
	return receiver.Opened{Sink: s}, nil
}

// render shows each event's subject, then the CloudEvent.
func render(_ context.Context, c *Config, _ string, _ receiver.Deps, evs []event.Event) (receiver.Rendering, error) {
	var r receiver.Rendering
	for i := range evs {
		r.Payloads = append(r.Payloads, "subject "+event.Subject(c.SubjectPrefix, &evs[i]), &evs[i])
	}
	return r, nil
}
