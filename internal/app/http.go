package app

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler serves /metrics, /healthz (the process is alive) and /readyz (every project
// polled successfully within 3 intervals and NATS, when configured, is connected).
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{Registry: a.reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		reasons := a.notReady(time.Now())
		if len(reasons) > 0 {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "not ready", "reasons": reasons})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "ready"})
	})
	return mux
}

func (a *App) notReady(now time.Time) []string {
	var reasons []string
	limit := 3 * a.cfg.Poll.Interval.D()
	for _, p := range a.pollers {
		last := p.LastSuccess()
		switch {
		case last.IsZero():
			reasons = append(reasons, "project "+p.O.ProjectID+": no successful poll yet")
		case now.Sub(last) > limit:
			reasons = append(reasons, "project "+p.O.ProjectID+": last successful poll "+now.Sub(last).Round(time.Second).String()+" ago")
		}
	}
	if a.nats != nil && !a.nats.Connected() {
		reasons = append(reasons, "nats: not connected")
	}
	return reasons
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
