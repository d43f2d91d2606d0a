// Package teams posts each event to a Microsoft Teams channel through a Teams Workflows
// webhook ("Post to a channel when a webhook request is received"), one Sink per [[teams]]
// entry: a message holding an Adaptive Card, its headline coloured by outcome, the
// event's facts and the [[slack.links]] buttons that apply.
//
// The URL is a secret (it carries the workflow's signature): it is in no error and no
// log line. Teams Workflows answers 202 Accepted; any 2xx is success. 408, 429
// (Retry-After honoured) and 5xx are retried by the sinks.Dispatcher; any other answer
// drops the event for this receiver, with the answer's first bytes in the log.
package teams

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/httpx"
	"notifier/internal/incident"
	"notifier/internal/linktmpl"
	"notifier/internal/msgtmpl"
	"notifier/internal/secret"
)

// Options configure one [[teams]] entry's Sink.
type Options struct {
	Name     string        // teams[].name
	URL      secret.Secret // read by the caller (httpx.ReadURL)
	Client   *http.Client  // nil: a client with a 10s timeout; redirects are never followed
	Log      zerolog.Logger
	Statuses event.Statuses    // nil: event.DefaultStatuses
	Links    []linktmpl.Link   // [[slack.links]]: the card's buttons
	Template *msgtmpl.Renderer // headline and body; nil: the built-in
	Now      func() time.Time  // what a running task's duration is measured to; nil: time.Now
}

// Sink posts events to one Teams Workflows webhook.
type Sink struct {
	name   string
	url    secret.Secret
	client *http.Client
	log    zerolog.Logger
	st     event.Statuses
	links  incident.Links
	tmpl   *msgtmpl.Renderer
	now    func() time.Time
}

// New builds the Sink; its error names the [[slack.links]] entry that does not parse.
func New(o Options) (*Sink, error) {
	links, err := incident.NewLinks(o.Links)
	if err != nil {
		return nil, err
	}
	s := &Sink{name: o.Name, url: o.URL, client: httpx.NewClient(o.Client), log: o.Log.With().Str("receiver", o.Name).Logger(),
		st: o.Statuses, links: links, tmpl: o.Template, now: o.Now}
	if s.st == nil {
		s.st = event.DefaultStatuses()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Name returns the receiver's name, teams[].name.
func (s *Sink) Name() string { return s.name }

// String returns Name, so that printing a Sink never prints its URL.
func (s Sink) String() string { return s.name }

// GoString returns Name, for %#v.
func (s Sink) GoString() string { return s.name }

// Send posts one card per event, in order. It returns how many are done and, when a
// post failed, why: wrapped with retry.Permanent for an answer retrying cannot change, a
// *retry.RetryAfterError for a 429 with Retry-After.
func (s *Sink) Send(ctx context.Context, evs []event.Event) (int, error) {
	for i := range evs {
		resp, err := httpx.PostJSON(ctx, s.client, s.url.Reveal(), s.Message(&evs[i]))
		if err != nil {
			if ctx.Err() != nil {
				return i, ctx.Err()
			}
			return i, fmt.Errorf("teams: %w", err)
		}
		if err := httpx.Check(resp); err != nil {
			return i, fmt.Errorf("teams: %w", err)
		}
		s.log.Debug().Str("event_id", evs[i].ID).Int("status", resp.StatusCode).Msg("card posted to Teams")
	}
	return len(evs), nil
}
