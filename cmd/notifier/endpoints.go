package main

import (
	"context"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/web"
)

// serve's endpoints are internal/web's Server: the running App's status page, /metrics,
// /healthz and /readyz, and POST /-/reload, which the daemon answers (web.Reloader). They
// outlive the Apps — a reload swaps the App behind them — so they answer during a reload,
// and the POST that asked for one gets its outcome.

// reloadRequest receives the outcome of the reload a POST /-/reload asked for.
type reloadRequest chan web.Outcome

// answerAll sends o to every POST waiting for it (a SIGHUP has none).
func answerAll(rs []reloadRequest, o web.Outcome) {
	for _, r := range rs {
		r <- o // buffered: the handler may have gone
	}
}

// listen checks the web configuration file, binds h.Listen and serves on it; "" serves
// nothing (a nil *web.Server). A problem is a setup error: the command exits 2.
func (d *daemon) listen(h config.HTTP) (*web.Server, error) {
	s, err := web.Listen(web.Options{HTTP: h, Log: d.log, Reload: d})
	if err != nil {
		return nil, &app.SetupError{Err: err}
	}
	return s, nil
}

// Lifecycle reports whether POST /-/reload is on: http.enable_lifecycle of the
// configuration running (web.Reloader).
func (d *daemon) Lifecycle() bool { return d.lifecycle.Load() }

// Reload hands a POST /-/reload to serve's loop, as a SIGHUP is, and waits for the
// outcome of the reload that reads the file after it (web.Reloader).
func (d *daemon) Reload(ctx context.Context) (web.Outcome, error) {
	reply := make(reloadRequest, 1)
	select {
	case d.reqs <- reply:
	case <-d.stopped:
		return web.Outcome{}, web.ErrStopping
	case <-ctx.Done():
		return web.Outcome{}, ctx.Err()
	}
	return <-reply, nil
}
