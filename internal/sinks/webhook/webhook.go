// Package webhook sends each event to a URL of the user's, one Sink per [[webhook]]
// entry: the CloudEvent in the CloudEvents HTTP binding, in structured mode (the event
// as JSON, Content-Type application/cloudevents+json) or binary mode (its attributes as
// ce-* headers, its data as the body), or the receiver's template as the whole body.
// With a signing secret each request carries X-Notifier-Timestamp and
// X-Notifier-Signature, an HMAC-SHA256 of "timestamp.body" (Sign).
//
// The binding is written here rather than by the CNCF SDK (github.com/cloudevents/sdk-go),
// whose HTTP protocol brings a second logging library (zap) into the binary; the tests
// read what it sends back with that SDK, in both modes, as a subscriber would.
//
// The URL and the headers_env values are secrets: they are in no error and no log line.
// Retries belong to the sinks.Dispatcher: 408, 429 (Retry-After honoured) and 5xx are
// retried; any other answer outside 2xx drops the event for this receiver, with the
// answer's first bytes in the log.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/httpx"
	"notifier/internal/msgtmpl"
	"notifier/internal/secret"
)

// The headers of a signed request.
const (
	TimestampHeader = "X-Notifier-Timestamp"
	SignatureHeader = "X-Notifier-Signature"
)

// StructuredContentType is the Content-Type of a CloudEvent in structured mode.
const StructuredContentType = "application/cloudevents+json; charset=utf-8"

// Options configure one [[webhook]] entry's Sink.
type Options struct {
	Config Config        // validated, with its defaults
	URL    secret.Secret // read by the caller (httpx.ReadURL)
	// Header holds the headers_env headers with their values, Hidden those values, kept
	// out of errors.
	Header        http.Header
	Hidden        []string
	SigningSecret secret.Secret // "": requests are not signed
	Client        *http.Client  // nil: a client with a 10s timeout; redirects are never followed
	Log           zerolog.Logger
	Template      *msgtmpl.Renderer // the whole body; nil: the CloudEvent
	Now           func() time.Time  // the signature's timestamp; nil: time.Now
}

// Sink sends events to one webhook.
type Sink struct {
	name        string
	url         secret.Secret
	method      string
	binary      bool
	contentType string
	header      http.Header
	hidden      []string
	signing     secret.Secret
	client      *http.Client
	log         zerolog.Logger
	tmpl        *msgtmpl.Renderer
	now         func() time.Time
}

// New builds the Sink of a validated entry (its defaults applied) and the secrets read
// for it.
func New(o Options) *Sink {
	c := o.Config
	h := http.Header{}
	for k, v := range c.Headers {
		h.Set(k, v)
	}
	for k, vs := range o.Header {
		h[http.CanonicalHeaderKey(k)] = vs
	}
	s := &Sink{name: c.Name, url: o.URL, method: c.Method, binary: c.Mode == Binary, contentType: c.ContentType,
		header: h, hidden: o.Hidden, signing: o.SigningSecret, client: httpx.NewClient(o.Client),
		log: o.Log.With().Str("receiver", c.Name).Logger(), tmpl: o.Template, now: o.Now}
	if s.method == "" {
		s.method = http.MethodPost
	}
	if s.contentType == "" {
		s.contentType = DefaultContentType
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Name returns the receiver's name, webhook[].name.
func (s *Sink) Name() string { return s.name }

// String returns Name, so that printing a Sink never prints its URL.
func (s Sink) String() string { return s.name }

// GoString returns Name, for %#v.
func (s Sink) GoString() string { return s.name }

// Send sends the events, which were routed to this webhook when they were committed,
// one request each, in order. It returns how many are done and, when a request failed,
// why: wrapped with retry.Permanent for an answer retrying cannot change, a
// *retry.RetryAfterError for a 429 or 503 with Retry-After.
func (s *Sink) Send(ctx context.Context, evs []event.Event) (int, error) {
	for i := range evs {
		req, err := s.request(&evs[i])
		if err != nil {
			return i, err
		}
		resp, err := httpx.Send(ctx, s.client, s.method, s.url.Reveal(), req.body, req.header, s.hidden)
		if err != nil {
			if ctx.Err() != nil {
				return i, ctx.Err()
			}
			return i, fmt.Errorf("webhook: %w", err)
		}
		if err := httpx.Check(resp); err != nil {
			return i, fmt.Errorf("webhook %s: %w", s.method, err)
		}
		s.log.Debug().Str("event_id", evs[i].ID).Int("status", resp.StatusCode).Msg("event sent to the webhook")
	}
	return len(evs), nil
}

// request is one request to the webhook, before its URL.
type request struct {
	method string
	header http.Header
	body   []byte
}

// request builds what e is sent as: the template's body, else the CloudEvent in the
// entry's mode; binary mode adds the ce-* headers to either; a signing secret signs it.
func (s *Sink) request(e *event.Event) (request, error) {
	r := request{method: s.method, header: s.header.Clone()}
	if r.header == nil {
		r.header = http.Header{}
	}
	if text := s.tmpl.Render(e).Get("body"); text != "" {
		r.body = []byte(text)
		r.header.Set("Content-Type", s.contentType)
	} else if s.binary {
		b, err := json.Marshal(e.Data)
		if err != nil {
			return request{}, fmt.Errorf("webhook: encode the event %s: %w", e.ID, err)
		}
		r.body = b
		r.header.Set("Content-Type", e.DataContentType)
	} else {
		b, err := json.Marshal(e)
		if err != nil {
			return request{}, fmt.Errorf("webhook: encode the event %s: %w", e.ID, err)
		}
		r.body = b
		r.header.Set("Content-Type", StructuredContentType)
	}
	if s.binary {
		for k, v := range attributes(e) {
			r.header.Set(k, v)
		}
	}
	if s.signing != "" {
		ts := strconv.FormatInt(s.now().Unix(), 10)
		r.header.Set(TimestampHeader, ts)
		r.header.Set(SignatureHeader, "sha256="+Sign([]byte(s.signing.Reveal()), ts, r.body))
	}
	return r, nil
}

// attributes are e's CloudEvents context attributes as binary mode's ce-* headers, each
// value percent-encoded as the HTTP binding asks.
func attributes(e *event.Event) map[string]string {
	h := map[string]string{
		"Ce-Specversion": e.SpecVersion, "Ce-Id": e.ID, "Ce-Source": e.Source, "Ce-Type": e.Type,
		"Ce-Time": e.Time.UTC().Format(time.RFC3339Nano),
	}
	if e.Subject != "" {
		h["Ce-Subject"] = e.Subject
	}
	for k, v := range h {
		h[k] = percentEncode(v)
	}
	return h
}

// percentEncode encodes what a header value of the HTTP binding may not hold as it is:
// a space, '"', '%' and any byte outside printable ASCII.
func percentEncode(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '%' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Sign is the signature of a request: the hex HMAC-SHA256, keyed with the signing
// secret, of the timestamp (unix seconds, as X-Notifier-Timestamp says it), a dot and
// the body. X-Notifier-Signature is "sha256=" and this.
func Sign(key []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// line is the request as once --render shows it: its method, where its URL comes from,
// and its headers, one a line, sorted.
func (r request) line(urlEnv, urlFile string) string {
	from := "$" + urlEnv
	if urlFile != "" {
		from = "<" + urlFile + ">"
	}
	lines := []string{r.method + " " + from}
	for _, k := range slices.Sorted(maps.Keys(r.header)) {
		lines = append(lines, k+": "+strings.Join(r.header[k], ", "))
	}
	return strings.Join(lines, "\n")
}

// shown is the body as once --render shows it: JSON as it is, any other text as a
// string.
func (r request) shown() any {
	if json.Valid(r.body) {
		return json.RawMessage(r.body)
	}
	return string(r.body)
}
