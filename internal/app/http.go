package app

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler serves the operational endpoints of [http] listen:
//
//   - / and /status: the status page (internal/status), HTML, or JSON with ?format=json;
//   - /metrics: the app's own registry (see internal/metrics), in the Prometheus formats;
//   - /healthz: 200 while the process can answer at all;
//   - /readyz: 200 when the last successful poll of every project is at most three
//     poll.interval old and the NATS connection, when NATS is configured, is up;
//     otherwise 503 with the reasons.
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
		writeJSON(w, http.StatusOK, health{Status: "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		h := health{Status: "ready", Shards: a.mode.status(), Receivers: a.receiverStatus()}
		code := http.StatusOK
		if h.Reasons = a.notReady(time.Now()); len(h.Reasons) > 0 {
			h.Status, code = "not ready", http.StatusServiceUnavailable
		}
		writeJSON(w, code, h)
	})
	return mux
}

// health is the body of /healthz and /readyz.
type health struct {
	Status  string        `json:"status"`
	Reasons []string      `json:"reasons,omitempty"`
	Shards  []ShardStatus `json:"shards,omitempty"` // nats-kv: leadership of each shard
	// Receivers are the configured receivers by name, with the events pending for each in
	// the units this replica runs.
	Receivers []ReceiverStatus `json:"receivers,omitempty"`
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
