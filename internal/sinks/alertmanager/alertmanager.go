// Package alertmanager raises and resolves alerts in Prometheus Alertmanager (API v2),
// one Sink per [[alertmanager]] entry. The lifecycle is package incident's; an alert is
// active while its incident is open. As Prometheus does, an active alert is sent with
// endsAt = now + 4 × resend_interval and the Sink is a sinks.Ticker that re-sends every
// active alert every resend_interval: Alertmanager keeps it through a stop of the
// notifier shorter than that, whatever its resolve_timeout. A resolution is sent once
// with endsAt = now. The active alerts are kept in the receiver's sinks.Memory, saved
// with the state: a restart neither loses one nor silently resolves it.
//
// With several URLs each gets every alert, and an event counts as delivered when one
// Alertmanager took it: the next re-send reaches the others.
package alertmanager

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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

// Auth is the resolved credentials of an entry: basic auth or a bearer token, or none.
type Auth struct {
	User, Password secret.Secret
	BearerToken    secret.Secret
}

// Options configure one [[alertmanager]] entry's Sink.
type Options struct {
	Key    string // where it is configured (alertmanager[1]), for error messages
	Config Config // validated, with its defaults
	Auth   Auth
	Client *http.Client // nil: a client with a 10s timeout; redirects are never followed
	Log    zerolog.Logger
	// Statuses tell a finished task from a running one, as the poller does.
	// nil: event.DefaultStatuses.
	Statuses event.Statuses
	Links    []linktmpl.Link // slack.links: the first that applies is the generatorURL
	// TaskTTL bounds a stuck or switchover alert whose task is no longer followed
	// (poll.max_follow); 0: 7 days.
	TaskTTL time.Duration
	Now     func() time.Time
	// Muted, when set, says whether a maintenance window muted an event for this
	// receiver: it then ends or continues an incident opened before, and opens none.
	Muted func(e *event.Event) bool
	// Errors counts each URL's failed posts, by receiver and url (the URL without user
	// info): notifier_alertmanager_errors_total. nil: not counted.
	Errors *prometheus.CounterVec
	// Template is the receiver's message template (summary, description); nil: the
	// built-in annotations.
	Template *msgtmpl.Renderer
}

// Sink raises, re-sends and resolves alerts. It keeps nothing per project in its fields:
// with several shards each Dispatcher hands it its own memory.
type Sink struct {
	name      string
	urls      []string
	client    *http.Client
	header    http.Header
	secrets   []string
	log       zerolog.Logger
	st        event.Statuses
	filter    receiver.Filter
	links     incident.Links
	resend    time.Duration
	failedTTL time.Duration
	taskTTL   time.Duration
	now       func() time.Time
	muted     func(e *event.Event) bool
	urlErrs   *urlErrors
	tmpl      *msgtmpl.Renderer
}

// New builds the Sink from a validated entry (its defaults applied) and the credentials
// read for it; its errors name the entry's key and never contain a credential.
func New(o Options) (*Sink, error) {
	c := o.Config
	f, err := receiver.NewFilter(o.Key, c.Common)
	if err != nil {
		return nil, err
	}
	links, err := incident.NewLinks(o.Links)
	if err != nil {
		return nil, err
	}
	s := &Sink{name: c.Name, urls: c.URLs(), client: httpx.NewClient(o.Client), header: http.Header{},
		log: o.Log.With().Str("receiver", c.Name).Logger(), st: o.Statuses, filter: f, links: links,
		resend: c.ResendInterval.D(), failedTTL: c.FailedTTL.D(), taskTTL: o.TaskTTL, now: o.Now, muted: o.Muted,
		tmpl: o.Template}
	s.urlErrs = newURLErrors(c.Name, s.urls, o.Errors)
	switch a := o.Auth; {
	case a.BearerToken != "":
		s.header.Set("Authorization", "Bearer "+a.BearerToken.Reveal())
		s.secrets = append(s.secrets, a.BearerToken.Reveal())
	case a.User != "":
		cred := base64.StdEncoding.EncodeToString([]byte(a.User.Reveal() + ":" + a.Password.Reveal()))
		s.header.Set("Authorization", "Basic "+cred)
		s.secrets = append(s.secrets, a.Password.Reveal(), cred)
	}
	if s.st == nil {
		s.st = event.DefaultStatuses()
	}
	if s.taskTTL <= 0 {
		s.taskTTL = 7 * 24 * time.Hour
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Name returns the receiver's name, alertmanager[].name.
func (s *Sink) Name() string { return s.name }

// String returns Name, so that printing a Sink never prints a credential.
func (s Sink) String() string { return s.name }

// GoString returns Name, for %#v.
func (s Sink) GoString() string { return s.name }

// Send is SendWith without a memory (test-notification uses it, for a test event).
func (s *Sink) Send(ctx context.Context, evs []event.Event) (int, error) {
	return s.SendWith(ctx, evs, sinks.Forgetful{})
}

// SendWith delivers the events routed to this receiver, in order, with what it
// remembers of its active alerts.
func (s *Sink) SendWith(ctx context.Context, evs []event.Event, mem sinks.Memory) (int, error) {
	n, _, err := s.SendSelect(ctx, evs, mem)
	return n, err
}

// SendSelect is SendWith that also says which events it sent nothing for: those that
// start, update and end no alert (sinks.Selective).
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

// deliver posts what e does to the receiver's alerts; sent is false when that is
// nothing (no request went out).
func (s *Sink) deliver(ctx context.Context, e *event.Event, mem sinks.Memory) (sent bool, err error) {
	now := s.now().UTC()
	if e.IsTest() {
		a := drill(e, now)
		s.shape(a.Annotations, e, "test")
		return true, s.post(ctx, []Alert{a})
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
	var alerts []Alert
	changes := map[string]string{}
	for _, c := range plan.Close {
		mk := incident.MemoryKey(c)
		if a, ok := recall(mem, project, mk); ok {
			alerts = append(alerts, a.Alert.ended(now))
		}
		changes[mk] = ""
	}
	if o := plan.Open; o != nil {
		a := s.alert(e, o)
		mk := incident.MemoryKey(*o)
		// The labels are an alert's identity: one that changed (a gap escalated to
		// critical) ends the alert under the old ones.
		if old, ok := recall(mem, project, mk); ok && !sameLabels(old.Alert.Labels, a.Labels) {
			alerts = append(alerts, old.Alert.ended(now))
		}
		alerts = append(alerts, a.active(now, s.resend))
		b, _ := json.Marshal(stored{Open: *o, Alert: a})
		changes[mk] = string(b)
	}
	if len(alerts) > 0 {
		if err := s.post(ctx, alerts); err != nil {
			return false, err
		}
	}
	if err := mem.Remember(context.WithoutCancel(ctx), project, changes); err != nil {
		s.log.Warn().Err(err).Str("project", project).Str("event_id", e.ID).Msg("could not save which alerts are active")
	}
	for _, c := range plan.Close {
		s.log.Info().Str("alertname", c.Alert).Str("key", c.Key).Str("event_id", e.ID).Msg("alert resolved")
	}
	if o := plan.Open; o != nil {
		s.log.Debug().Str("alertname", o.Alert).Str("key", o.Key).Str("event_id", e.ID).Msg("alert active")
	}
	return len(alerts) > 0, nil
}

// TickEvery is resend_interval.
func (s *Sink) TickEvery() time.Duration { return s.resend }

// maxBatch bounds the alerts of one POST.
const maxBatch = 500

// Tick re-sends every active alert, extending its endsAt, and resolves (once, with endsAt =
// now) the failures older than failed_ttl, the stuck and switchover alerts older than
// TaskTTL and every alert of a project no longer watched (nothing else will ever end
// them), then forgets them.
func (s *Sink) Tick(ctx context.Context, mem sinks.Memory) error {
	now := s.now().UTC()
	var errs []error
	for project, kv := range mem.Recollect() {
		gone := !mem.Watched(project)
		var alerts []Alert
		expired := map[string]string{}
		for k, v := range kv {
			st, ok := decode(v)
			switch {
			case !ok:
				expired[k] = "" // not ours to read: an older version's
			case gone:
				alerts = append(alerts, st.Alert.ended(now))
				expired[k] = ""
				s.log.Info().Str("alertname", st.Open.Alert).Str("key", st.Open.Key).Str("project", project).
					Msg("alert resolved: its project is no longer watched")
			case s.expired(st.Open, now):
				alerts = append(alerts, st.Alert.ended(now))
				expired[k] = ""
				s.log.Info().Str("alertname", st.Open.Alert).Str("key", st.Open.Key).Msg("alert resolved: past its time to live")
			default:
				alerts = append(alerts, st.Alert.active(now, s.resend))
			}
		}
		for len(alerts) > 0 {
			n := min(len(alerts), maxBatch)
			if err := s.post(ctx, alerts[:n]); err != nil {
				err = fmt.Errorf("project %s: %w", project, err)
				if !retry.IsPermanent(err) {
					return errors.Join(append(errs, err)...) // Alertmanager down: the next tick tries again
				}
				// Refused for good: the other projects' alerts must still be re-sent, or
				// Alertmanager resolves them at their endsAt.
				errs = append(errs, err)
			}
			alerts = alerts[n:]
		}
		if len(expired) > 0 {
			errs = append(errs, mem.Remember(ctx, project, expired))
		}
	}
	return errors.Join(errs...)
}

func (s *Sink) expired(o incident.Open, now time.Time) bool {
	switch o.Alert {
	case incident.Failed:
		return now.Sub(o.Since) > s.failedTTL
	case incident.Stuck, incident.Switchover:
		return now.Sub(o.Since) > s.taskTTL
	}
	return false
}

// post sends alerts to every Alertmanager. It succeeds when one took them; otherwise
// the error is permanent only when every refusal was.
func (s *Sink) post(ctx context.Context, alerts []Alert) error {
	var errs []error
	permanent := true
	for i, u := range s.urls {
		err := s.postOne(ctx, u, alerts)
		if err == nil {
			s.urlErrs.ok(i)
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.urlErrs.failed(i, err, s.now())
		err = fmt.Errorf("alertmanager %d of %d (%s): %w", i+1, len(s.urls), s.urlErrs.shown[i], err)
		permanent = permanent && retry.IsPermanent(err)
		errs = append(errs, err)
	}
	switch {
	case len(errs) == 0:
		return nil
	case len(errs) < len(s.urls):
		// The others have it; the next re-send reaches this one.
		s.log.Warn().Err(errors.Join(errs...)).Msg("an Alertmanager did not take the alerts; the others did")
		return nil
	case permanent:
		return retry.Permanent(errors.Join(errs...))
	}
	var ra *retry.RetryAfterError
	for _, err := range errs {
		if errors.As(err, &ra) {
			return &retry.RetryAfterError{After: ra.After, Err: errors.Join(errs...)}
		}
	}
	return errors.Join(errs...)
}

func (s *Sink) postOne(ctx context.Context, base string, alerts []Alert) error {
	resp, err := httpx.PostJSONPublic(ctx, s.client, base+"/api/v2/alerts", alerts, s.header)
	if err != nil {
		return s.scrub(err)
	}
	// Scrubbed before Check shortens it: a cut could leave part of a credential that a
	// later scrub would no longer find.
	for _, sec := range s.secrets {
		if sec != "" {
			resp.Body = bytes.ReplaceAll(resp.Body, []byte(sec), []byte("<secret>"))
		}
	}
	return httpx.Check(resp)
}

// scrub keeps the credentials out of an error's text.
func (s *Sink) scrub(err error) error {
	msg := err.Error()
	for _, sec := range s.secrets {
		if sec != "" && strings.Contains(msg, sec) {
			return errors.New(strings.ReplaceAll(msg, sec, "<secret>"))
		}
	}
	return err
}
