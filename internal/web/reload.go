package web

import (
	"context"
	"errors"
	"net/http"
)

// Reloader is what POST /-/reload asks: the command that reloads (run's daemon).
type Reloader interface {
	// Lifecycle reports whether POST /-/reload is on: http.enable_lifecycle of the
	// configuration running.
	Lifecycle() bool
	// Reload asks for a reload, exactly as SIGHUP does, and waits for its outcome. It
	// returns ErrStopping when the daemon stops instead, or ctx's error when the client
	// went away before its request was heard.
	Reload(ctx context.Context) (Outcome, error)
}

// ErrStopping is Reloader.Reload's answer while the daemon stops.
var ErrStopping = errors.New("stopping")

// Outcome is what became of a reload: Err when it was refused (the running configuration
// goes on), Unchanged when the file says what runs already.
type Outcome struct {
	Err       error
	Unchanged bool
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
func reloadHandler(rl Reloader) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !rl.Lifecycle() {
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
		o, err := rl.Reload(r.Context())
		switch {
		case errors.Is(err, ErrStopping):
			writeJSON(w, http.StatusServiceUnavailable, reloadAnswer{Status: "failed", Error: "stopping"})
		case err != nil: // the client went away
		case o.Err != nil:
			writeJSON(w, http.StatusInternalServerError, reloadAnswer{Status: "failed", Error: o.Err.Error()})
		case o.Unchanged:
			writeJSON(w, http.StatusOK, reloadAnswer{Status: "unchanged"})
		default:
			writeJSON(w, http.StatusOK, reloadAnswer{Status: "reloaded"})
		}
	}
}

// crossOrigin refuses the POSTs a browser makes for another site.
var crossOrigin = http.NewCrossOriginProtection()

// reloadAnswer is the body of POST /-/reload.
type reloadAnswer struct {
	Status string `json:"status"`          // reloaded, unchanged, failed
	Error  string `json:"error,omitempty"` // why it failed
}
