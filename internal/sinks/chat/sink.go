// Package chat is what the group-chat robots share (Feishu, DingTalk, WeCom): the message
// of an event as facts (Build) and of a burst as one digest (Digest), the one delivery
// loop (Sink) that posts a message per event at the robot's pace (package pace) and one
// digest past it, and the webhook URL and signing secret every robot is configured with
// (Endpoint). Each kind writes a Message
// in its own format, signs it and reads its robot's answer.
package chat

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/incident"
	"notifier/internal/linktmpl"
	"notifier/internal/msgtmpl"
	"notifier/internal/retry"
	"notifier/internal/sinks"
	"notifier/internal/sinks/pace"
)

// DigestOver is how many events may wait for one robot before they go out as one digest
// instead of one message each, as for a Slack webhook.
const DigestOver = 10

// Options configure one robot's Sink.
type Options struct {
	Name string // the receiver's name
	// Post sends one message the kind's way and returns the answer's error, wrapped with
	// retry.Permanent when a retry cannot help.
	Post func(ctx context.Context, m *Message) error
	Log  zerolog.Logger
	Pace *pace.Window // the robot's limit; past it what waits is one digest; nil: none
	// Space is a short limit every post waits for, without a digest (Feishu: 5 a
	// second, beside its 100 a minute); nil: none.
	Space *pace.Window
	// Statuses tell a finished task from a running one; nil: event.DefaultStatuses.
	Statuses event.Statuses
	Links    []linktmpl.Link             // slack.links: buttons
	During   func(e *event.Event) string // the maintenance window an event's task started in
	Template *msgtmpl.Renderer           // parts "title" and "body"; nil: the built-in text
	Now      func() time.Time            // nil: time.Now
}

// Sink delivers events to one robot. It implements sinks.Remembering (it remembers
// nothing), so that once --render can record what it would post.
type Sink struct {
	o     Options
	links incident.Links
	log   zerolog.Logger
	mu    sync.Mutex // one Send at a time: shards share the robot and its pace
}

// New builds the Sink.
func New(o Options) (*Sink, error) {
	links, err := incident.NewLinks(o.Links)
	if err != nil {
		return nil, err
	}
	if o.Statuses == nil {
		o.Statuses = event.DefaultStatuses()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Sink{o: o, links: links, log: o.Log.With().Str("receiver", o.Name).Logger()}, nil
}

// Name returns the receiver's name.
func (s *Sink) Name() string { return s.o.Name }

// String returns Name, so that printing a Sink never prints its URL.
func (s *Sink) String() string { return s.o.Name }

// SendWith is Send: a robot remembers nothing.
func (s *Sink) SendWith(ctx context.Context, evs []event.Event, _ sinks.Memory) (int, error) {
	return s.Send(ctx, evs)
}

// Send posts a message per event, at the robot's pace. More than DigestOver waiting, or
// more than one waiting when the robot's limit is reached, go out as one digest as soon
// as one more message may go. It returns how many events from the start are done and,
// when a post failed, why: retry.Permanent when the robot refused it for good (a digest:
// retry.PermanentRest, every event in it is).
func (s *Sink) Send(ctx context.Context, evs []event.Event) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range evs {
		rest := len(evs) - i
		if rest > 1 && (rest > DigestOver || !s.o.Pace.Free()) {
			if err := s.wait(ctx); err != nil {
				return i, err
			}
			if err := s.o.Post(ctx, s.Digest(evs[i:])); err != nil {
				if retry.IsPermanent(err) {
					err = retry.PermanentRest(err)
				}
				return i, err
			}
			s.log.Info().Int("events", rest).Msg("posted a digest of a burst of events")
			return len(evs), nil
		}
		if err := s.wait(ctx); err != nil {
			return i, err
		}
		if err := s.o.Post(ctx, s.Message(&evs[i])); err != nil {
			return i, err
		}
	}
	return len(evs), nil
}

// wait returns when the robot's limits allow one more post, and counts it.
func (s *Sink) wait(ctx context.Context) error {
	if err := s.o.Pace.Wait(ctx); err != nil {
		return err
	}
	return s.o.Space.Wait(ctx)
}

// Message is what the robot is sent for e: Build's, with the template's title and body
// when it has them.
func (s *Sink) Message(e *event.Event) *Message {
	d := msgtmpl.NewData(e, msgtmpl.Env{Receiver: s.o.Name, Statuses: s.o.Statuses, Links: s.links,
		During: s.o.During, Now: s.o.Now()})
	m := Build(e, d)
	if s.o.Template != nil {
		out := s.o.Template.Render(e)
		m.Title, m.Body = out.Or("title", m.Title), out.Get("body")
		if e.IsTest() && !hasPrefix(m.Title, testTag) {
			m.Title = testTag + " " + m.Title
		}
	}
	return &m
}

// Digest is the one message of evs.
func (s *Sink) Digest(evs []event.Event) *Message {
	msgs := make([]Message, len(evs))
	for i := range evs {
		msgs[i] = *s.Message(&evs[i])
	}
	d := Digest(msgs)
	return &d
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
