package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"

	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/metrics"
)

// RenderTemplate writes what the receiver called name would be sent for evs at now, as
// run sends it (its kind's Render: the same code as a delivery, the request recorded
// instead of sent), for notifier template render: a "#" line naming the receiver and
// its template, then each payload, a string as it is and anything else as indented JSON.
// Maintenance windows do not hold the events back (a window's name still shows, as
// Data.Mute). failed is how many template parts failed to execute and gave the
// built-in text instead, each also logged on log. An unknown name is a *SetupError.
func RenderTemplate(ctx context.Context, cfg *config.Config, log zerolog.Logger, name string, evs []event.Event, now time.Time, out io.Writer) (failed int, err error) {
	e := cfg.Entry(name)
	if e == nil {
		var known []string
		for _, r := range cfg.Receivers() {
			known = append(known, r.Name)
		}
		return 0, setupErr("unknown receiver %q (configured: %s)", name, strings.Join(known, ", "))
	}
	m := metrics.New(prometheus.NewRegistry(), "")
	d := receiverDeps(cfg, log, name)
	d.Muted, d.Now, d.Metrics = nil, now, m
	rd, err := e.Render(ctx, d, evs)
	if err != nil {
		return 0, &SetupError{err} // it names the key: a template_file, a link
	}
	c := e.Common()
	tmpl := "no template: the built-in text"
	switch {
	case c.Template != "":
		tmpl = "template " + e.Key() + ".template"
	case c.TemplateFile != "":
		tmpl = "template_file " + c.TemplateFile
	}
	if _, err := fmt.Fprintf(out, "# %s (%s), %s: %s\n", name, e.Key(), tmpl, count(rd, len(evs))); err != nil {
		return 0, err
	}
	if len(rd.Payloads) == 0 {
		if _, err := fmt.Fprintln(out, "# nothing is sent for this: no incident opens or ends (see notifier routes)"); err != nil {
			return 0, err
		}
	}
	for _, p := range rd.Payloads {
		if line, ok := p.(string); ok {
			if _, err := fmt.Fprintln(out, line); err != nil {
				return 0, err
			}
			continue
		}
		// As a person reads it: indented, a mention's < and > as they are.
		enc := json.NewEncoder(out)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(p); err != nil {
			return 0, err
		}
	}
	var v dto.Metric
	if err := m.TemplateErrors.WithLabelValues(name).Write(&v); err != nil {
		return 0, err
	}
	return int(v.GetCounter().GetValue()), nil
}
