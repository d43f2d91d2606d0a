package receiver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/dcs"
	"notifier/internal/event"
	"notifier/internal/linktmpl"
	"notifier/internal/metrics"
	"notifier/internal/natsconn"
	"notifier/internal/sinks"
)

// Deps is what the notifier hands a kind to open or render one receiver: the settings of
// other tables that receivers read, and what it decides for this receiver (maintenance
// windows). A kind takes what it needs and ignores the rest.
type Deps struct {
	Log    zerolog.Logger
	Getenv func(string) string // where *_env secrets are read; nil: os.Getenv
	// Statuses tell a finished task from a running one (poll.terminal_statuses).
	Statuses event.Statuses
	Links    []linktmpl.Link // slack.links: buttons, payload links, an alert's generatorURL
	// MaxFollow and Lookback are poll.max_follow and poll.lookback: how long the poller may
	// still report on a task, which bounds what a receiver remembers of one.
	MaxFollow, Lookback time.Duration
	// NATS is the notifier's connection to NATS, which the NATS receiver publishes on and
	// the nats-kv state shares; nil when it is not open.
	NATS *natsconn.Conn
	// Metrics are the notifier's metrics, for what a receiver counts itself (an
	// Alertmanager's per-URL errors); nil: nothing is counted (a render, a test).
	Metrics *metrics.Metrics
	// Replicas is how many replicas what a receiver creates in NATS (a stream) gets: as
	// many as the state's buckets in nats-kv mode, else one.
	Replicas int
	// During names the maintenance window ([[mute]]) in which an event's task started, if
	// one muted this receiver then; nil: none ever did.
	During func(e *event.Event) string
	// Muted says whether a maintenance window muted an event for this receiver, at its
	// detection time; nil: none.
	Muted func(e *event.Event) bool
	// Shared returns the value kept under key, made by make the first time, for what
	// receivers share and a reload keeps (the pace of one Slack channel). Keys start with
	// the kind. nil: nothing is shared; make is called each time.
	Shared func(key string, make func() any) any
	// DCSCredentials reads the [dcs] credential, as the pollers read it, for a kind that
	// calls a Huawei Cloud API with it by default (SMN); nil: none is configured.
	DCSCredentials func() (dcs.Credentials, error)
	// Budget is the request budget of c's access key (key names where c is configured),
	// the one the DCS calls of the same key wait on, so that a kind calling a Huawei Cloud
	// API keeps to the same per-key rate and pauses with them on throttling; nil: the kind
	// keeps to none.
	Budget func(c dcs.Credentials, key string) *dcs.Budget
	// Now and Memory are a render's: the time it renders at, and what the receiver
	// remembers (nil: nothing).
	Now    time.Time
	Memory sinks.Memory
}

// Share is d.Shared, or make() when d has none.
func (d Deps) Share(key string, make func() any) any {
	if d.Shared == nil {
		return make()
	}
	return d.Shared(key, make)
}

// Opened is a receiver Open built.
type Opened struct {
	Sink sinks.Sink
	// Read is what Open read outside the file (secrets, the content of files): a reload
	// that reads something else reopens the receiver. It is only hashed, never shown.
	Read []string
}

// Rendering is what a receiver would be sent, for once --render.
type Rendering struct {
	Payloads []any // one line each: a string as it is, anything else as JSON
	// Unit is what the events go in ("message", "request"), Units how many; "": the
	// events themselves.
	Unit  string
	Units int
}

// Recorder is an HTTP transport that keeps each request, as the line "POST url" and its
// JSON body, and answers 202 with a body PagerDuty and Alertmanager would accept, so that
// a receiver that posts renders by sending (Record).
type Recorder struct{ payloads []any }

// RoundTrip records req and accepts it.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	r.payloads = append(r.payloads, req.Method+" "+req.URL.Redacted(), json.RawMessage(body))
	return &http.Response{StatusCode: http.StatusAccepted, Header: http.Header{}, Request: req,
		Body: io.NopCloser(bytes.NewReader([]byte(`{"status":"success","message":"Event processed"}`)))}, nil
}

// Client returns an HTTP client that records through r.
func (r *Recorder) Client() *http.Client { return &http.Client{Transport: r} }

// Record renders a receiver that posts: s, built with rec's Client, delivers evs with the
// memory d gives, and each request it made is two payloads, its line and its body.
func Record(ctx context.Context, s sinks.Remembering, rec *Recorder, d Deps, evs []event.Event) (Rendering, error) {
	mem := d.Memory
	if mem == nil {
		mem = sinks.Forgetful{}
	}
	if _, err := s.SendWith(ctx, evs, mem); err != nil {
		return Rendering{}, err
	}
	return Rendering{Payloads: rec.payloads, Unit: "request", Units: len(rec.payloads) / 2}, nil
}
