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
//   - /healthz (liveness): 200 while the process serves and its loops are alive; 503
//     naming the wedged ones (health.go). An upstream outage never fails it;
//   - /readyz (readiness): 200 once the App serves (its configuration and state loaded),
//     whatever the DCS API and NATS do: their health is the body's detail (upstream,
//     problems), as on the status page and in notifier_project_up. Taking a replica out
//     of its Service for an outage would hide its metrics exactly when the alerts on
//     them should fire. The body (Readiness) has the same shape either way.
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
	mux.HandleFunc("GET /healthz", a.serveHealthz)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, a.readiness(time.Now()))
	})
	return mux
}

// Readiness is the body of /readyz: the same fields whether ready or not, lists empty
// rather than absent, so a probe or a person reads one shape.
type Readiness struct {
	Status  string   `json:"status"`  // ready, not ready
	Reasons []string `json:"reasons"` // why not ready (starting); empty when ready
	// Upstream is the DCS API and NATS as this replica sees them: ok, degraded (Problems
	// says why), unknown while starting. It never makes the replica not ready.
	Upstream string          `json:"upstream"`
	Problems []string        `json:"problems"` // what is degraded; empty when ok
	Projects []ProjectStatus `json:"projects"` // every configured project, in config order
	// Receivers are the configured receivers by name, with the events pending for each in
	// the units this replica runs.
	Receivers []ReceiverStatus `json:"receivers"`
	// NATS is the connection's state: connected, connecting, reconnecting, closed, or
	// "not configured" without nats.url; unknown while starting.
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
	h := Readiness{Status: "ready", Reasons: []string{}, Upstream: "ok", Problems: a.upstreamProblems(now),
		Projects: a.projectStatus(), Receivers: a.receiverStatus(), NATS: "not configured", Shards: a.mode.status()}
	if len(h.Problems) > 0 {
		h.Upstream = "degraded"
	} else {
		h.Problems = []string{}
	}
	if a.nc != nil {
		h.NATS = a.nc.State()
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

// upstreamProblems lists what is degraded upstream — a project not read successfully
// within three poll.interval, NATS not connected — each built only from project ids,
// durations and fixed text.
func (a *App) upstreamProblems(now time.Time) []string {
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
	if a.nc != nil && !a.nc.Connected() {
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
