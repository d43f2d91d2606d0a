package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
)

// endpoints serve http.listen for serve: the running App's /metrics, /healthz and
// /readyz, and POST /-/reload. They outlive the Apps — a reload swaps the App behind
// them — so they answer during a reload, and the POST that asked for one gets its
// outcome. Every endpoint is behind http.web_config_file (TLS, basic auth), through
// exporter-toolkit. A nil *endpoints (http.listen = "") serves nothing.
type endpoints struct {
	addr      string
	webConfig string // the http.web_config_file it serves with
	srv       *http.Server
	app       atomic.Pointer[http.Handler] // the running App's Handler
	errs      chan error                   // the server failing other than by a shutdown
}

// reloadRequest receives the outcome of the reload a POST /-/reload asked for.
type reloadRequest chan outcome

// outcome is what became of a reload: err when it was refused (the running
// configuration goes on), unchanged when the file says what runs already.
type outcome struct {
	err       error
	unchanged bool
}

// answerAll sends o to every POST waiting for it (a SIGHUP has none).
func answerAll(rs []reloadRequest, o outcome) {
	for _, r := range rs {
		r <- o // buffered: the handler may have gone
	}
}

// listen checks the web configuration file, binds addr and serves on it; "" serves
// nothing.
func (d *daemon) listen(h config.HTTP) (*endpoints, error) {
	if h.Listen == "" {
		return nil, nil
	}
	if err := h.CheckWebConfig(); err != nil {
		return nil, &app.SetupError{Err: err}
	}
	ln, err := net.Listen("tcp", h.Listen)
	if err != nil {
		return nil, &app.SetupError{Err: fmt.Errorf("http.listen: %w", err)}
	}
	e := &endpoints{addr: ln.Addr().String(), webConfig: h.WebConfigFile, errs: make(chan error, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("/-/reload", d.reloadHandler)
	mux.HandleFunc("/", e.serveApp)
	e.srv = app.NewServer(mux, d.log)
	go func() {
		if err := app.Serve(ln, e.srv, h.WebConfigFile, d.log); err != nil {
			e.errs <- err
		}
	}()
	return e, nil
}

// serveApp passes a request to the running App. Before the first one runs (its state
// loading, its connections opening), the process is alive but not ready: /healthz
// answers 200 and everything else 503, /readyz in its usual shape.
func (e *endpoints) serveApp(w http.ResponseWriter, r *http.Request) {
	if h := e.app.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	switch r.URL.Path {
	case "/healthz":
		writeJSON(w, http.StatusOK, app.Liveness{Status: "ok", Problems: []string{}})
	case "/readyz":
		writeJSON(w, http.StatusServiceUnavailable, app.Starting())
	default:
		http.Error(w, "starting", http.StatusServiceUnavailable)
	}
}

// reloadHandler is POST /-/reload, when http.enable_lifecycle is true (404 otherwise: a
// listener reachable by many must not let each of them restart work): a reload exactly as
// SIGHUP makes, answered 200 {"status":"reloaded"} once the new configuration runs, 200
// {"status":"unchanged"} when the file says what runs already (nothing was touched), or
// 500 {"status":"failed","error":...} when it is kept out (the running or previous
// configuration goes on). Any other method is refused with 405: a GET (a crawler, a
// browser prefetch) never reloads. A request a browser sends for another site — its
// Sec-Fetch-Site other than same-origin or none, or, without that header, an Origin whose
// host is not the request's Host — is refused with 403 (http.CrossOriginProtection): a
// web page cannot make its visitor's browser reload the notifier. Same-site is refused
// too: another port or subdomain is another program. A request without either header
// (curl, a script) is not a browser's, and is served.
func (d *daemon) reloadHandler(w http.ResponseWriter, r *http.Request) {
	if !d.lifecycle.Load() {
		writeJSON(w, http.StatusNotFound, reloadAnswer{Status: "failed",
			Error: "POST /-/reload is off (http.enable_lifecycle = false); SIGHUP reloads"})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, reloadAnswer{Status: "failed", Error: "reload with POST"})
		return
	}
	if err := crossOrigin.Check(r); err != nil {
		writeJSON(w, http.StatusForbidden, reloadAnswer{Status: "failed", Error: "cross-origin request refused"})
		return
	}
	reply := make(reloadRequest, 1)
	select {
	case d.reqs <- reply:
	case <-d.stopped:
		writeJSON(w, http.StatusServiceUnavailable, reloadAnswer{Status: "failed", Error: "stopping"})
		return
	case <-r.Context().Done():
		return
	}
	switch o := <-reply; {
	case o.err != nil:
		writeJSON(w, http.StatusInternalServerError, reloadAnswer{Status: "failed", Error: o.err.Error()})
	case o.unchanged:
		writeJSON(w, http.StatusOK, reloadAnswer{Status: "unchanged"})
	default:
		writeJSON(w, http.StatusOK, reloadAnswer{Status: "reloaded"})
	}
}

// crossOrigin refuses the POSTs a browser makes for another site.
var crossOrigin = http.NewCrossOriginProtection()

// reloadAnswer is the body of POST /-/reload.
type reloadAnswer struct {
	Status string `json:"status"`          // reloaded, unchanged, failed
	Error  string `json:"error,omitempty"` // why it failed
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// set puts a's endpoints behind e.
func (e *endpoints) set(a *app.App, log zerolog.Logger) {
	if e == nil {
		return
	}
	h := a.Handler()
	if e.app.Swap(&h) == nil {
		ev := log.Info().Str("listen", e.addr)
		if e.webConfig != "" {
			ev = ev.Str("web_config_file", e.webConfig) // TLS and basic auth as it says
		}
		ev.Msg("serving /metrics, /healthz, /readyz and POST /-/reload")
	}
}

// webFile is the http.web_config_file the endpoints serve with; "" when there are none.
func (e *endpoints) webFile() string {
	if e == nil {
		return ""
	}
	return e.webConfig
}

// failed returns a channel that receives the server's failure (nil: never).
func (e *endpoints) failed() <-chan error {
	if e == nil {
		return nil
	}
	return e.errs
}

// close stops the server, letting the requests in progress finish for up to 5s.
func (e *endpoints) close() {
	if e == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = e.srv.Shutdown(ctx)
}
