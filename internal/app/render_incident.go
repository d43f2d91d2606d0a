package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"

	"notifier/internal/event"
	"notifier/internal/route"
	"notifier/internal/sinks"
	"notifier/internal/sinks/alertmanager"
	"notifier/internal/sinks/pagerduty"
)

// renderIncident is what an on-call receiver would post for evs, given what it remembers
// now: each request's URL and JSON, recorded instead of sent and answered as the service
// would. The routing key shows as "REDACTED" and no credential is sent; nothing is
// remembered. As in run, an event a window holds from the receiver opens nothing.
func (a *App) renderIncident(ctx context.Context, r route.Receiver, table *route.Table, evs []event.Event) ([]any, error) {
	rec := &recorder{}
	client := &http.Client{Transport: rec}
	statuses := event.NewStatuses(a.cfg.Poll.TerminalStatuses)
	muted := mutedFor(table, r.Name)
	var s sinks.Remembering
	var err error
	for i, c := range a.cfg.PagerDuty {
		if c.Name == r.Name {
			s, err = pagerduty.New(pagerduty.Options{Index: i, Config: c, RoutingKey: "REDACTED", Client: client,
				Log: a.log, Statuses: statuses, Links: a.cfg.Slack.Links, Muted: muted})
		}
	}
	for i, c := range a.cfg.Alertmanager {
		if c.Name == r.Name {
			s, err = alertmanager.New(alertmanager.Options{Index: i, Config: c, Client: client, Log: a.log,
				Statuses: statuses, Links: a.cfg.Slack.Links, TaskTTL: a.cfg.Poll.MaxFollow.D(), Muted: muted})
		}
	}
	if err != nil || s == nil {
		return nil, err
	}
	mem := &overlay{kv: map[string]map[string]string{}}
	if fm, ok := a.mode.(*fileMode); ok {
		mem.base = fm.unit.ledger.Memory(r.Name)
	}
	if _, err := s.SendWith(ctx, evs, mem); err != nil {
		return nil, err
	}
	return rec.out, nil
}

// recorder is a transport that keeps each request, as "POST url" and its JSON body, and
// answers 202 as PagerDuty and Alertmanager accept.
type recorder struct{ out []any }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	r.out = append(r.out, req.Method+" "+req.URL.Redacted(), json.RawMessage(body))
	return &http.Response{StatusCode: http.StatusAccepted, Header: http.Header{}, Request: req,
		Body: io.NopCloser(bytes.NewReader([]byte(`{"status":"success","message":"Event processed"}`)))}, nil
}

// overlay is a receiver's memory that reads through to base and keeps its own changes.
type overlay struct {
	base sinks.Memory // nil: nothing remembered
	kv   map[string]map[string]string
}

func (o *overlay) Recall(project, key string) (string, bool) {
	if v, ok := o.kv[project][key]; ok {
		return v, v != ""
	}
	if o.base == nil {
		return "", false
	}
	return o.base.Recall(project, key)
}

func (o *overlay) Recollect() map[string]map[string]string {
	out := map[string]map[string]string{}
	if o.base != nil {
		out = o.base.Recollect()
	}
	for p, kv := range o.kv {
		if out[p] == nil {
			out[p] = map[string]string{}
		}
		maps.Copy(out[p], kv)
		maps.DeleteFunc(out[p], func(_, v string) bool { return v == "" })
	}
	return out
}

func (o *overlay) Watched(project string) bool { return o.base == nil || o.base.Watched(project) }

func (o *overlay) Remember(_ context.Context, project string, kv map[string]string) error {
	if o.kv[project] == nil {
		o.kv[project] = map[string]string{}
	}
	maps.Copy(o.kv[project], kv)
	return nil
}
