// Package slacksink posts events to Slack incoming webhooks, one Sink per configured
// webhook. Each event becomes one Block Kit message in a coloured attachment, readable on
// a phone without opening the console; a burst of more than ten becomes one digest.
// Every value from the DCS API is escaped, so no task can mention or link, and every
// message fits Slack's limits. The webhook URL is a secret: it appears in no error and no
// log line, and the Sink names itself by its receiver name (slack.webhooks[].name).
// Which events reach it is decided when they are committed (package route): Send posts
// every event it is given.
//
// Messages are built with slack-go's Block Kit types and posted with httpx.PostJSON;
// retries belong to the sinks.Dispatcher: httpx.Check reports a 4xx answer or a redirect
// as permanent, a 429 with the Retry-After it carried, and anything else (5xx, transport)
// as retryable.
//
// Channel is the other kind of Slack receiver (slack.channels): with a bot token and the
// Web API (slack-go's client), it keeps one live card per task, posted at the task's first
// event and updated in place after, its ts remembered with the task's project state
// (sinks.Remembering) so that restarts and fail-overs update the same card.
package slacksink

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"notifier/internal/event"
	"notifier/internal/httpx"
	"notifier/internal/linktmpl"
	"notifier/internal/msgtmpl"
	"notifier/internal/retry"
	"notifier/internal/secret"
	"notifier/internal/sinks/pace"
)

// Options configure one webhook's Sink.
type Options struct {
	Key     string        // where it is configured (slack.webhooks[2]), for error messages
	Webhook WebhookConfig // validated; its Name names the sink, the URL fields where URL came from
	URL     secret.Secret // resolved by the caller with secret.Read
	Client  *http.Client  // nil: a client with a 10s timeout; redirects are never followed
	Log     zerolog.Logger
	Now     func() time.Time // the clock durations are measured to; nil: time.Now
	MinGap  time.Duration    // least time between two posts; 0: 1s, Slack's documented limit
	// Statuses tell a finished task from a running one, as the poller does: build them
	// from poll.terminal_statuses with event.NewStatuses. nil: event.DefaultStatuses.
	Statuses event.Statuses
	Links    []linktmpl.Link // slack.links: buttons on messages about a task
	// During names the maintenance window ([[mute]]) in which an event's task started, if
	// one muted this webhook then; such a message says so. nil: none ever did.
	During func(e *event.Event) string
	// Template is the webhook's message template (template, template_file); nil: the
	// built-in text.
	Template *msgtmpl.Renderer
}

// Sink delivers events to one Slack incoming webhook. It implements sinks.Sink; its Send
// must not be called concurrently (the Dispatcher runs one worker per sink).
type Sink struct {
	name   string
	url    secret.Secret
	client *http.Client
	log    zerolog.Logger
	now    func() time.Time
	pace   *pace.Window // one post per MinGap
	st     event.Statuses
	links  []Link
	during func(e *event.Event) string
	tmpl   *msgtmpl.Renderer

	// mu serialises Send: with several shards (nats-kv) several dispatchers share one
	// webhook, and its one-post-per-second pace must hold across them.
	mu *sync.Mutex
}

// New builds the Sink from a validated entry and checks the URL read for it. Its errors
// name the webhook's key and never contain the URL.
func New(o Options) (*Sink, error) {
	key := o.Key
	raw := o.URL.Reveal()
	// Not wrapping url.Parse's error: it quotes the URL.
	u, perr := url.Parse(raw)
	if perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%s: the webhook URL (from %s) is not an absolute http(s) URL", key, source(o.Webhook))
	}
	s := &Sink{mu: new(sync.Mutex),
		name:   o.Webhook.Name,
		url:    o.URL,
		client: httpx.NewClient(o.Client),
		now:    o.Now,
		st:     o.Statuses,
		during: o.During,
		tmpl:   o.Template,
	}
	links, err := NewLinks(o.Links)
	if err != nil {
		return nil, err
	}
	s.links = links
	s.log = o.Log.With().Str("receiver", s.name).Logger()
	if s.now == nil {
		s.now = time.Now
	}
	gap := o.MinGap
	if gap <= 0 {
		gap = time.Second
	}
	s.pace = pace.NewWindow(1, gap, nil, nil)
	if s.st == nil {
		s.st = event.DefaultStatuses()
	}
	return s, nil
}

func source(w WebhookConfig) string {
	if w.URLEnv != "" {
		return "environment variable " + w.URLEnv
	}
	if w.URLFile != "" {
		return "file " + w.URLFile
	}
	return "the caller"
}

// Name returns the receiver's name, slack.webhooks[].name.
func (s *Sink) Name() string { return s.name }

// String returns Name, so that printing a Sink can never print its URL. It and GoString
// have value receivers so that a Sink printed by value is covered too: fmt cannot call
// Secret.String on an unexported field.
func (s Sink) String() string { return s.name }

// GoString returns Name, for %#v.
func (s Sink) GoString() string { return s.name }

// Send posts the events, which were routed to this webhook when they were committed.
// More than ten go out as one digest; fewer go one message each, at most one post per
// MinGap. It returns how many events from the start are done and, when a post failed,
// why: wrapped with retry.Permanent for a 4xx answer, a *retry.RetryAfterError for a 429
// with Retry-After.
func (s *Sink) Send(ctx context.Context, evs []event.Event) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(evs) > digestOver {
		msg := RenderDigest(evs, s.now(), s.st)
		if err := s.post(ctx, &msg); err != nil {
			if retry.IsPermanent(err) {
				// Refused for good (a gone channel, a revoked hook): every event in the
				// digest is, not only the first.
				err = retry.PermanentRest(err)
			}
			return 0, err
		}
		s.log.Info().Int("events", len(evs)).Msg("posted a digest of a burst of events")
		return len(evs), nil
	}
	for i := range evs {
		msg := RenderLinks(&evs[i], s.now(), s.st, s.links)
		withTemplate(&msg, s.tmpl, &evs[i])
		if s.during != nil && !evs[i].IsTest() {
			withWindow(&msg, s.during(&evs[i]))
		}
		if err := s.post(ctx, &msg); err != nil {
			return i, err
		}
	}
	return len(evs), nil
}

// post waits until a MinGap has passed since the last post began, then posts msg.
func (s *Sink) post(ctx context.Context, msg *slack.WebhookMessage) error {
	if err := s.pace.Wait(ctx); err != nil {
		return err
	}
	resp, err := httpx.PostJSON(ctx, s.client, s.url.Reveal(), msg)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // shutting down; the event stays pending
		}
		return fmt.Errorf("slack webhook: %w", err)
	}
	if err := httpx.Check(resp); err != nil {
		return fmt.Errorf("slack webhook: %w", err)
	}
	return nil
}
