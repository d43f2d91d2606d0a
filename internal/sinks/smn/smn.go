// Package smn publishes events to a Huawei Cloud SMN (Simple Message Notification)
// topic, one Sink per [[smn]] entry: each event is one PublishMessage with a subject and
// a message_structure holding a text per subscriber protocol (a full one for email and
// default, a short one for SMS, the CloudEvent for HTTP and HTTPS).
//
// Requests are signed by the SDK (SDK-HMAC-SHA256) with a project's credential, and wait
// on the request budget of its access key, the one its DCS calls share. A throttling
// answer (429, APIGW.0308) pauses that budget and is retried; a 5xx, a 408 or no answer
// is retried; any other refusal (SMN.0006, an unknown topic; 403, a missing permission)
// drops the event for this receiver, logged with SMN's code.
package smn

import (
	"context"
	"fmt"
	"time"

	smnmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/smn/v2/model"
	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/msgtmpl"
	"notifier/internal/receiver"
	"notifier/internal/retry"
	"notifier/internal/sinks"
)

// Options configure one [[smn]] entry's Sink.
type Options struct {
	Key      string // where it is configured (smn[1]), for error messages
	Config   Config // validated, with its defaults
	Client   *Client
	Log      zerolog.Logger
	Statuses event.Statuses // nil: event.DefaultStatuses
	Template *msgtmpl.Renderer
	Now      func() time.Time
}

// Sink publishes events to one SMN topic.
type Sink struct {
	name   string
	topic  string
	client *Client
	log    zerolog.Logger
	st     event.Statuses
	tmpl   *msgtmpl.Renderer
	now    func() time.Time
}

// New builds the Sink of a validated entry.
func New(o Options) (*Sink, error) {
	if o.Client == nil {
		return nil, fmt.Errorf("%s: no SMN client", o.Key)
	}
	if _, err := receiver.NewFilter(o.Key, o.Config.Common); err != nil {
		return nil, err // routing applies the filter; a bad one is still this entry's error
	}
	s := &Sink{name: o.Config.Name, topic: trimURN(o.Config.TopicURN), client: o.Client, st: o.Statuses,
		tmpl: o.Template, now: o.Now, log: o.Log.With().Str("receiver", o.Config.Name).Logger()}
	if s.st == nil {
		s.st = event.DefaultStatuses()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Name returns the receiver's name, smn[].name.
func (s *Sink) Name() string { return s.name }

// Send publishes evs in order and returns how many were published. A refusal that no
// retry changes is wrapped with retry.Permanent: the dispatcher drops that event.
func (s *Sink) Send(ctx context.Context, evs []event.Event) (int, error) {
	for i := range evs {
		if err := s.publish(ctx, &evs[i]); err != nil {
			return i, err
		}
	}
	return len(evs), nil
}

// SendWith is Send: SMN keeps nothing per task (it makes the Sink one that once --render
// records through receiver.Record).
func (s *Sink) SendWith(ctx context.Context, evs []event.Event, _ sinks.Memory) (int, error) {
	return s.Send(ctx, evs)
}

func (s *Sink) publish(ctx context.Context, e *event.Event) error {
	m, err := s.compose(e)
	if err != nil {
		s.log.Error().Err(err).Str("event_id", e.ID).Msg("event not published to SMN: too large")
		return retry.Permanent(err)
	}
	structure, err := fit(m.Structure)
	if err != nil {
		s.log.Error().Err(err).Str("event_id", e.ID).Msg("event not published to SMN: too large")
		return retry.Permanent(fmt.Errorf("event %s: %w", e.ID, err))
	}
	id, err := s.client.Publish(ctx, &smnmodel.PublishMessageRequestBody{Subject: &m.Subject, MessageStructure: &structure})
	if err != nil {
		if retry.IsPermanent(err) {
			s.log.Error().Err(err).Str("event_id", e.ID).Str("topic", s.topic).Msg("SMN refused the message; the event is dropped for this receiver")
		}
		return fmt.Errorf("smn topic %s: %w", s.topic, err)
	}
	s.log.Debug().Str("event_id", e.ID).Str("topic", s.topic).Str("message_id", id).Msg("published to SMN")
	return nil
}
