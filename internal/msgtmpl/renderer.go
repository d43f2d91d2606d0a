package msgtmpl

import (
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/incident"
	"notifier/internal/linktmpl"
)

// Options build a Renderer.
type Options struct {
	Template *Template // nil: the receiver has none, and the Renderer is nil
	Receiver string    // the receiver's name: the errors' label and log field
	Log      zerolog.Logger
	// Errors counts the parts that failed to execute, by receiver:
	// notifier_template_errors_total. nil: not counted.
	Errors   *prometheus.CounterVec
	Statuses event.Statuses              // nil: event.DefaultStatuses
	Links    []linktmpl.Link             // [[slack.links]]
	During   func(e *event.Event) string // the maintenance window of an event's task; nil: none
	Now      func() time.Time            // nil: time.Now
}

// Renderer executes a receiver's template for its events, falling back to the built-in
// text: a nil Renderer (no template) renders nothing, and every part is the built-in.
type Renderer struct {
	t        *Template
	receiver string
	log      zerolog.Logger
	errs     prometheus.Counter
	st       event.Statuses
	links    incident.Links
	during   func(e *event.Event) string
	now      func() time.Time
}

// NewRenderer builds the Renderer of a receiver; nil, nil when it has no template.
func NewRenderer(o Options) (*Renderer, error) {
	if o.Template == nil {
		return nil, nil
	}
	links, err := incident.NewLinks(o.Links)
	if err != nil {
		return nil, err
	}
	r := &Renderer{t: o.Template, receiver: o.Receiver, log: o.Log, st: o.Statuses, links: links,
		during: o.During, now: o.Now}
	if o.Errors != nil {
		r.errs = o.Errors.WithLabelValues(o.Receiver)
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r, nil
}

// Output is what a template gave for one event: its parts by name.
type Output struct {
	parts map[string]string
}

// Render executes the template for e; set, when given, adds to the data what only the
// kind knows (Data.Alert). A part that fails is logged and counted, and absent from the
// output: its built-in text is used. A nil Renderer gives an empty Output.
func (r *Renderer) Render(e *event.Event, set ...func(*Data)) Output {
	if r == nil {
		return Output{}
	}
	d := NewData(e, Env{Receiver: r.receiver, Statuses: r.st, Links: r.links, During: r.during, Now: r.now()})
	for _, f := range set {
		f(d)
	}
	parts, errs := r.t.Execute(d)
	for _, err := range errs {
		r.failed(e, err)
	}
	if parts == nil && len(errs) == 0 {
		r.failed(e, fmt.Errorf("no output"))
	}
	return Output{parts: parts}
}

// failed logs and counts a part that did not execute. The error is text/template's: the
// template's name, line and what failed, never a secret (a template holds none).
func (r *Renderer) failed(e *event.Event, err error) {
	if r.errs != nil {
		r.errs.Inc()
	}
	r.log.Warn().Err(err).Str("receiver", r.receiver).Str("event_id", e.ID).
		Msg("the message template failed for this event; the built-in text is sent instead")
}

// Or is the part name, trimmed, or builtin when the template gave none, failed or gave
// only white space: a template may leave a part empty for the events it does not
// shape.
func (o Output) Or(name, builtin string) string {
	if s := strings.TrimSpace(o.parts[name]); s != "" {
		return s
	}
	return builtin
}

// Get is the part name, trimmed; "" when the template gave none.
func (o Output) Get(name string) string { return strings.TrimSpace(o.parts[name]) }

// Fields reads the part name as lines of "key: value" (PagerDuty's custom_details
// additions): blank lines are skipped, and a line without ": " is an error, for the
// caller to count (Renderer.Failed) and to add nothing.
func (o Output) Fields(name string) (map[string]string, error) {
	s := o.Get(name)
	if s == "" {
		return nil, nil
	}
	out := map[string]string{}
	for i, line := range strings.Split(s, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if k = strings.TrimSpace(k); !ok || k == "" {
			return nil, fmt.Errorf("%q line %d: %q is not \"key: value\"", name, i+1, Cut(line, 60))
		}
		out[k] = strings.TrimSpace(v)
	}
	return out, nil
}

// Failed logs and counts an output the kind could not use (Fields' error): the
// built-in is sent instead.
func (r *Renderer) Failed(e *event.Event, err error) {
	if r != nil {
		r.failed(e, err)
	}
}
