// Package web serves the notifier's HTTP endpoints on http.listen, for every command that
// listens (run, demo), behind http.web_config_file (TLS, basic auth) through Prometheus'
// exporter-toolkit:
//
//   - / and /status: the status page (internal/status), HTML, or JSON with ?format=json;
//   - /metrics: the registry of the running notifier (internal/metrics), in the
//     Prometheus formats;
//   - /healthz (liveness): 200 while the process serves and its loops are alive; 503
//     naming the wedged ones. An upstream outage never fails it;
//   - /readyz (readiness): 200 once the notifier serves (its configuration and state
//     loaded), whatever the DCS API and NATS do: their health is the body's detail
//     (upstream, problems), as on the status page and in notifier_project_up. Taking a
//     replica out of its Service for an outage would hide its metrics exactly when the
//     alerts on them should fire. The body has the same shape either way;
//   - POST /-/reload, when the command reloads (run) and http.enable_lifecycle is true;
//   - /api/v1/silences (GET, POST, DELETE /api/v1/silences/{id}), when the Source keeps
//     silences (Silencer), refused unless the listener authenticates or is loopback.
//
// A Server outlives what it serves: run swaps the App behind it at every reload (Set),
// so the endpoints answer through a reload. Bodies name projects by id and never carry a
// credential, a URL or an error text from elsewhere (an error may quote a URL with its
// password).
package web

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"notifier/internal/status"
)

// Source is what the endpoints show: the running notifier (an *app.App).
type Source interface {
	// Registry holds the metrics /metrics serves; it counts the handler's own errors too.
	Registry() *prometheus.Registry
	// Readiness is the body of /readyz, always 200 once serving.
	Readiness(now time.Time) status.Readiness
	// Liveness is the body of /healthz: 503 unless its status is ok.
	Liveness(now time.Time) status.Liveness
	// StatusPage is what the status page shows; ctx bounds what it reads from NATS.
	StatusPage(ctx context.Context, now time.Time) *status.Page
}

// Handler serves src's endpoints — the status page, /metrics, /healthz and /readyz — each
// to GET only; log gets what cannot be answered.
func Handler(src Source, log zerolog.Logger) http.Handler {
	mux := http.NewServeMux()
	reg := src.Registry()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		Registry:          reg, // counts its own errors in promhttp_metric_handler_errors_total
		EnableOpenMetrics: true,
	}))
	// The status page: / and its alias /status (?format=json for its data).
	page := func(w http.ResponseWriter, r *http.Request) { serveStatus(w, r, src, log) }
	mux.HandleFunc("GET /{$}", page)
	mux.HandleFunc("GET /status", page)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		l := src.Liveness(time.Now())
		code := http.StatusOK
		if l.Status != "ok" {
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, l)
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, src.Readiness(time.Now()))
	})
	silenceHandlers(mux, src)
	return mux
}

// serveStatus is GET / and /status: the status page, or its data as JSON with
// ?format=json.
func serveStatus(w http.ResponseWriter, r *http.Request, src Source, log zerolog.Logger) {
	p := src.StatusPage(r.Context(), time.Now())
	if r.URL.Query().Get("format") == "json" {
		writeJSON(w, http.StatusOK, p)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// The page needs nothing but its own inline style: no script runs, nothing loads.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if err := status.Render(w, p); err != nil {
		log.Debug().Err(err).Msg("status page: writing the answer failed")
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
