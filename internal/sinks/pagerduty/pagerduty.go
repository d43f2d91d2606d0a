// Package pagerduty opens and resolves PagerDuty incidents through the Events API v2, one
// Sink per [[pagerduty]] entry. The lifecycle is package incident's: an event its filter
// passes opens or updates an incident (event_action "trigger"), and the end of the task,
// a retry that succeeds on the same instance or a restored project resolves it
// ("resolve", the same dedup_key). It resolves only what it triggered, which it
// remembers per project in its sinks.Memory, saved with the state.
//
// The routing key is a secret: it is in no error and no log line, and the Sink names
// itself by its receiver name. Retries belong to the sinks.Dispatcher: a 429 or a 5xx is
// retried (Retry-After honoured), a 400 drops that event for this receiver with
// PagerDuty's message.
package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/httpx"
	"notifier/internal/incident"
	"notifier/internal/linktmpl"
	"notifier/internal/msgtmpl"
	"notifier/internal/receiver"
	"notifier/internal/retry"
	"notifier/internal/secret"
	"notifier/internal/sinks"
)

// forgetAfter is how long an incident is remembered when nothing ends it (a failure
// never retried, a task no longer followed): long after anyone can care.
const forgetAfter = 30 * 24 * time.Hour

// Options configure one [[pagerduty]] entry's Sink.
type Options struct {
	Key        string        // where it is configured (pagerduty[1]), for error messages
	Config     Config        // validated, with its defaults
	RoutingKey secret.Secret // resolved by the caller with secret.Read
	Client     *http.Client  // nil: a client with a 10s timeout; redirects are never followed
	Log        zerolog.Logger
	// Statuses tell a finished task from a running one, as the poller does.
	// nil: event.DefaultStatuses.
	Statuses event.Statuses
	Links    []linktmpl.Link // slack.links: the payload's links
	Now      func() time.Time
	// Muted, when set, says whether a maintenance window muted an event for this
	// receiver: it then ends or continues an incident opened before, and opens none.
	Muted func(e *event.Event) bool
	// Template is the receiver's message template (summary, details); nil: the built-in.
	Template *msgtmpl.Renderer
}

// Sink triggers and resolves PagerDuty incidents. It keeps nothing per project in its
// fields: with several shards each Dispatcher hands it its own memory.
type Sink struct {
	name   string
	key    secret.Secret
	url    string
	client *http.Client
	log    zerolog.Logger
	st     event.Statuses
	filter receiver.Filter
	links  incident.Links
	now    func() time.Time
	muted  func(e *event.Event) bool
	tmpl   *msgtmpl.Renderer
}

// New builds the Sink from a validated entry (its defaults applied) and the routing key
// read for it. Its errors name the entry's key and never contain the routing key.
func New(o Options) (*Sink, error) {
	if o.RoutingKey == "" {
		return nil, fmt.Errorf("%s.routing_key_env: no routing key", o.Key)
	}
	f, err := receiver.NewFilter(o.Key, o.Config.Common)
	if err != nil {
		return nil, err
	}
	links, err := incident.NewLinks(o.Links)
	if err != nil {
		return nil, err
	}
	s := &Sink{name: o.Config.Name, key: o.RoutingKey, url: o.Config.URL, client: httpx.NewClient(o.Client),
		log: o.Log.With().Str("receiver", o.Config.Name).Logger(), st: o.Statuses, filter: f, links: links, now: o.Now, muted: o.Muted,
		tmpl: o.Template}
	if s.st == nil {
		s.st = event.DefaultStatuses()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Name returns the receiver's name, pagerduty[].name.
func (s *Sink) Name() string { return s.name }

// String returns Name, so that printing a Sink never prints its routing key.
func (s Sink) String() string { return s.name }

// GoString returns Name, for %#v.
func (s Sink) GoString() string { return s.name }

// Send is SendWith without a memory: it triggers what opens an incident and resolves
// nothing (test-notification uses it, for a test event).
func (s *Sink) Send(ctx context.Context, evs []event.Event) (int, error) {
	return s.SendWith(ctx, evs, sinks.Forgetful{})
}

// SendWith delivers the events routed to this receiver, in order, with what it
// remembers of the incidents it opened. It returns how many are done and, when a post
// failed, why: wrapped with retry.Permanent for a 400, a *retry.RetryAfterError for a
// 429 with Retry-After.
func (s *Sink) SendWith(ctx context.Context, evs []event.Event, mem sinks.Memory) (int, error) {
	n, _, err := s.SendSelect(ctx, evs, mem)
	return n, err
}

// SendSelect is SendWith that also says which events it sent nothing for: those that
// open, update and resolve nothing (sinks.Selective).
func (s *Sink) SendSelect(ctx context.Context, evs []event.Event, mem sinks.Memory) (int, []string, error) {
	var unsent []string
	for i := range evs {
		sent, err := s.deliver(ctx, &evs[i], mem)
		if err != nil {
			return i, unsent, err
		}
		if !sent {
			unsent = append(unsent, evs[i].ID)
		}
	}
	return len(evs), unsent, nil
}

// deliver posts what e does to the receiver's incidents; sent is false when that is
// nothing (no request went out).
func (s *Sink) deliver(ctx context.Context, e *event.Event, mem sinks.Memory) (sent bool, err error) {
	if e.IsTest() {
		return true, s.drill(ctx, e)
	}
	match, _ := s.filter.Match(e)
	if match && s.muted != nil && s.muted(e) {
		match = false // a maintenance window: end or continue what is open, open nothing
	}
	project := e.Data.ProjectID
	plan := incident.Decide(e, match, s.st, incident.NewView(mem, project))
	if plan.Empty() {
		return false, nil
	}
	changes := map[string]string{} // memory keys → new value; "" forgets
	var updated []string           // closed under the key the trigger updates: forgotten with it
	resolved := map[string]bool{}
	for _, c := range plan.Close {
		mk := incident.MemoryKey(c)
		switch {
		case plan.Open != nil && c.Key == plan.Open.Key:
			updated = append(updated, mk) // one incident per dedup_key: the trigger updates it
			continue
		case resolved[c.Key]:
			changes[mk] = ""
			continue
		}
		err := s.post(ctx, s.resolve(c.Key))
		if err != nil && !retry.IsPermanent(err) {
			s.remember(ctx, mem, project, changes, e.ID)
			return sent, err
		}
		sent, resolved[c.Key], changes[mk] = true, true, ""
		if err != nil {
			// PagerDuty will never take it: forget the incident rather than retry it forever.
			s.log.Error().Err(err).Str("dedup_key", c.Key).Msg("PagerDuty refused a resolve; the incident is left to a person")
			continue
		}
		s.log.Info().Str("dedup_key", c.Key).Str("incident", c.Alert).Str("event_id", e.ID).Msg("incident resolved")
	}
	if o := plan.Open; o != nil {
		if err := s.post(ctx, s.trigger(e, o)); err != nil {
			s.remember(ctx, mem, project, changes, e.ID)
			return sent, err
		}
		sent = true
		for _, mk := range updated {
			changes[mk] = ""
		}
		b, _ := json.Marshal(o)
		changes[incident.MemoryKey(*o)] = string(b)
		s.log.Info().Str("dedup_key", o.Key).Str("incident", o.Alert).Str("event_id", e.ID).Msg("incident triggered")
	}
	s.remember(ctx, mem, project, changes, e.ID)
	return sent, nil
}

// remember saves what changed; a failed save is kept in memory and saved with the next
// change (state.Memory), so it is only said.
func (s *Sink) remember(ctx context.Context, mem sinks.Memory, project string, kv map[string]string, eventID string) {
	if len(kv) == 0 {
		return
	}
	if err := mem.Remember(context.WithoutCancel(ctx), project, kv); err != nil {
		s.log.Warn().Err(err).Str("project", project).Str("event_id", eventID).Msg("could not save which incidents are open")
	}
}

// TickEvery says how often Tick forgets stale incidents.
func (s *Sink) TickEvery() time.Duration { return time.Hour }

// Tick resolves the incidents of the projects no longer watched, and forgets those and
// the incidents nothing ended for forgetAfter, so that the memory stays small.
func (s *Sink) Tick(ctx context.Context, mem sinks.Memory) error {
	now := s.now()
	var errs []error
	for project, kv := range mem.Recollect() {
		if !mem.Watched(project) {
			errs = append(errs, s.end(ctx, mem, project, kv))
			continue
		}
		stale := map[string]string{}
		for k, v := range kv {
			if o, ok := incident.Decode(v); !ok || now.Sub(o.Since) > forgetAfter {
				stale[k] = ""
			}
		}
		if len(stale) > 0 {
			errs = append(errs, mem.Remember(ctx, project, stale))
		}
	}
	return errors.Join(errs...)
}

// end resolves every incident opened in a project no longer watched (removed from the
// config, or no longer discovered), which no event will ever end, and forgets it. A
// resolve that fails for now stops it: the next tick tries again.
func (s *Sink) end(ctx context.Context, mem sinks.Memory, project string, kv map[string]string) error {
	forget := map[string]string{}
	resolved := map[string]bool{}
	var failed error
	for _, k := range slices.Sorted(maps.Keys(kv)) {
		o, ok := incident.Decode(kv[k])
		if ok && !resolved[o.Key] {
			err := s.post(ctx, s.resolve(o.Key))
			if err != nil && !retry.IsPermanent(err) {
				failed = fmt.Errorf("project %s: %w", project, err)
				break
			}
			resolved[o.Key] = true
			if err != nil {
				s.log.Error().Err(err).Str("dedup_key", o.Key).Msg("PagerDuty refused a resolve; the incident is left to a person")
			} else {
				s.log.Info().Str("dedup_key", o.Key).Str("incident", o.Alert).Str("project", project).
					Msg("incident resolved: its project is no longer watched")
			}
		}
		forget[k] = ""
	}
	return errors.Join(failed, mem.Remember(ctx, project, forget))
}

// post sends one Events API v2 event and classifies the answer. A refusal's message is
// PagerDuty's, without the routing key.
func (s *Sink) post(ctx context.Context, ev *Event) error {
	resp, err := httpx.PostJSON(ctx, s.client, s.url, ev)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("pagerduty: %w", err)
	}
	// Redacted before anything shortens it (Check's excerpt, reason): a cut could leave
	// part of the key that a later replace would no longer find.
	resp.Body = bytes.ReplaceAll(resp.Body, []byte(s.key.Reveal()), []byte("<secret>"))
	if err := httpx.Check(resp); err != nil {
		var se *httpx.StatusError
		if errors.As(err, &se) {
			if msg := reason(resp.Body); msg != "" {
				se.Body = msg
			}
		}
		return fmt.Errorf("pagerduty %s %s: %w", ev.EventAction, ev.DedupKey, err)
	}
	return nil
}

// reason is PagerDuty's explanation of a refusal: its message and errors, shortened.
func reason(body []byte) string {
	var r struct {
		Status  string   `json:"status"`
		Message string   `json:"message"`
		Errors  []string `json:"errors"`
	}
	if json.Unmarshal(body, &r) != nil || r.Message == "" {
		return ""
	}
	msg := r.Message
	if len(r.Errors) > 0 {
		msg += ": " + strings.Join(r.Errors, "; ")
	}
	return httpx.Excerpt([]byte(msg))
}
