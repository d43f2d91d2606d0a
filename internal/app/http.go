package app

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"notifier/internal/poller"
)

// Handler serves the operational endpoints of [http] listen:
//
//   - / and /status: the status page (internal/status), HTML, or JSON with ?format=json;
//   - /metrics: the app's own registry (see internal/metrics), in the Prometheus formats;
//   - /healthz: 200 while the process can answer at all;
//   - /readyz: 200 when the last successful poll of every project is at most three
//     poll.interval old and the NATS connection, when NATS is configured, is up;
//     otherwise 503 with the reasons; the body (Readiness) has the same shape either way.
//
// Bodies name projects by id and never carry a credential, a URL or an error text from
// elsewhere (an error may quote a URL with its password).
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{
		Registry:          a.reg, // counts its own errors in promhttp_metric_handler_errors_total
		EnableOpenMetrics: true,
	}))
	// The status page: / and its alias /status (?format=json for its data).
	mux.HandleFunc("GET /{$}", a.serveStatus)
	mux.HandleFunc("GET /status", a.serveStatus)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, struct {
			Status string `json:"status"`
		}{"ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		h := a.readiness(time.Now())
		code := http.StatusOK
		if h.Status != "ready" {
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, h)
	})
	return mux
}

// Readiness is the body of /readyz: the same fields whether ready or not, lists empty
// rather than absent, so a probe or a person reads one shape.
type Readiness struct {
	Status   string          `json:"status"`   // ready, not ready
	Reasons  []string        `json:"reasons"`  // why not ready; empty when ready
	Projects []ProjectStatus `json:"projects"` // every configured project, in config order
	// Receivers are the configured receivers by name, with the events pending for each in
	// the units this replica runs.
	Receivers []ReceiverStatus `json:"receivers"`
	// NATS is the connection's state: connected, connecting, reconnecting, closed, or
	// "not configured" without nats.url.
	NATS   string        `json:"nats"`
	Shards []ShardStatus `json:"shards"` // nats-kv: leadership of each shard; empty otherwise
}

// ProjectStatus is what /readyz says about one project: its last poll by this replica.
type ProjectStatus struct {
	ID          string     `json:"id"`
	LastPoll    *time.Time `json:"last_poll"`    // null: not polled by this replica yet
	LastSuccess *time.Time `json:"last_success"` // null: no successful poll yet
	// Result is the last poll's: ok, error, or none (not polled yet, or in nats-kv a
	// shard another replica leads).
	Result string `json:"result"`
	// Error is the class of the last poll's failure — credentials refused, throttled,
	// unreachable, API error (HTTP n), unreadable answer, state not saved — never the
	// error's text; null after a success.
	Error *string `json:"error"`
}

func (a *App) readiness(now time.Time) Readiness {
	a.mu.RLock() // a reload may replace the projects and receivers
	defer a.mu.RUnlock()
	h := Readiness{Status: "ready", Reasons: a.notReady(now), Projects: a.projectStatus(),
		Receivers: a.receiverStatus(), NATS: "not configured", Shards: a.mode.status()}
	if len(h.Reasons) > 0 {
		h.Status = "not ready"
	} else {
		h.Reasons = []string{}
	}
	if a.nats != nil {
		h.NATS = a.nats.State()
	}
	if h.Shards == nil {
		h.Shards = []ShardStatus{}
	}
	return h
}

func (a *App) projectStatus() []ProjectStatus {
	polled := map[string]poller.Status{}
	for _, u := range a.mode.units() {
		for _, p := range u.pollerList() {
			polled[p.ProjectID()] = p.Status()
		}
	}
	out := make([]ProjectStatus, len(a.projects))
	for i, p := range a.projects {
		ps := ProjectStatus{ID: p.cfg.ProjectID, Result: "none"}
		if st, ok := polled[ps.ID]; ok && !st.LastPoll.IsZero() {
			ps.LastPoll, ps.Result = timePtr(st.LastPoll), "ok"
			if st.Error != "" {
				ps.Result, ps.Error = "error", &st.Error
			}
			if !st.LastSuccess.IsZero() {
				ps.LastSuccess = timePtr(st.LastSuccess)
			}
		}
		out[i] = ps
	}
	return out
}

func timePtr(t time.Time) *time.Time {
	t = t.UTC().Truncate(time.Millisecond)
	return &t
}

// ReceiverStatus is what /readyz says about one receiver.
type ReceiverStatus struct {
	Name    string `json:"name"`
	Pending int    `json:"pending"`
}

func (a *App) receiverStatus() []ReceiverStatus {
	out := make([]ReceiverStatus, len(a.recv))
	for i, r := range a.recv {
		out[i].Name = r.sink.Name()
		for _, u := range a.mode.units() {
			out[i].Pending += u.ledger.Count(out[i].Name)
		}
	}
	return out
}

// notReady lists why the app is not ready, each reason built only from project ids,
// durations and fixed text.
func (a *App) notReady(now time.Time) []string {
	var reasons []string
	limit := 3 * a.cfg.Poll.Interval.D()
	// A follower (nats-kv, no lease) polls nothing and is ready to take over.
	for _, u := range a.mode.units() {
		last := u.lastSuccess()
		for _, id := range slices.Sorted(maps.Keys(last)) {
			switch t := last[id]; {
			case t.IsZero():
				reasons = append(reasons, "project "+id+": no successful poll yet")
			case now.Sub(t) > limit:
				reasons = append(reasons, "project "+id+": last successful poll "+
					now.Sub(t).Round(time.Second).String()+" ago (limit "+limit.String()+")")
			}
		}
	}
	if a.nats != nil && !a.nats.Connected() {
		reasons = append(reasons, "nats: not connected")
	}
	return reasons
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
