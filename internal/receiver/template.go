package receiver

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"notifier/internal/confkit"
	"notifier/internal/msgtmpl"
)

// validateTemplate checks template and template_file of the receiver at key, for a kind
// of style s (nil: it takes none). An inline template is parsed: a mistake is a config
// error naming the key and the line. A template_file is read where the receiver's other
// files are, by Check and Open.
func (c *Common) validateTemplate(p *confkit.Problems, key string, s *msgtmpl.Style) {
	switch {
	case c.Template == "" && c.TemplateFile == "":
	case c.Template != "" && c.TemplateFile != "":
		p.Add(key+".template", "set template or template_file, not both")
	case s == nil:
		k := key + ".template"
		if c.Template == "" {
			k += "_file"
		}
		p.Add(k, "this kind of receiver takes no template")
	case c.Template != "":
		if _, err := msgtmpl.Parse(key+".template", c.Template, *s); err != nil {
			*p = append(*p, err)
		}
	}
}

// Renderer is the message template of the receiver c configured at key, for a kind of
// style s, ready to execute with what d gives (its statuses, links, windows, metrics,
// and a render's time): nil when the receiver has none. read is what its template_file
// held, for Opened.Read.
func (d Deps) Renderer(c *Common, key string, s *msgtmpl.Style) (r *msgtmpl.Renderer, read []byte, err error) {
	t, read, err := msgtmpl.Load(key, c.Template, c.TemplateFile, s)
	if err != nil || t == nil {
		return nil, nil, err
	}
	var errs *prometheus.CounterVec
	if d.Metrics != nil {
		errs = d.Metrics.TemplateErrors
	}
	var now func() time.Time
	if !d.Now.IsZero() {
		now = func() time.Time { return d.Now }
	}
	r, err = msgtmpl.NewRenderer(msgtmpl.Options{Template: t, Receiver: c.Name, Log: d.Log, Errors: errs,
		Statuses: d.Statuses, Links: d.Links, During: d.During, Now: now})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", key, err)
	}
	return r, read, nil
}
