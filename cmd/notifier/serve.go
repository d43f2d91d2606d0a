package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/metrics"
)

// builder makes the App for a configuration, with the logger that configuration asks for.
// Every App it makes counts in the same metrics (serveOptions.metrics), so a reload keeps
// every counter.
type builder func(*config.Config) (*app.App, zerolog.Logger, error)

// serveOptions are what serve runs.
type serveOptions struct {
	path  string         // the configuration file, read again at every reload
	cfg   *config.Config // its content at the start
	hup   <-chan os.Signal
	build builder
	// metrics are those every App counts in; serve sets the reload gauges
	// (notifier_config_last_reload_successful and its timestamp) in them.
	metrics *metrics.Metrics
	log     zerolog.Logger // the listener's (http.listen), which outlives every App
}

// serve runs an App for cfg until ctx ends, and returns nil then. A reload — a value on
// hup (SIGHUP) or a POST /-/reload, the same code path — re-reads the file at path:
//   - if it is invalid, or names an http.listen that cannot be bound, the error is logged
//     and the running App goes on untouched;
//   - if it is valid, the running App stops the way it does at SIGTERM (polling stops,
//     pending events get shutdown.timeout to go out, the state is saved and its lock
//     released by Close) and an App for the new configuration starts. Should that App fail
//     to start (a missing environment variable, say), the previous configuration starts
//     again, so a bad reload never leaves the process without a running notifier.
//
// Every attempt sets notifier_config_last_reload_successful (and, on a success, its
// timestamp); a POST /-/reload gets the outcome as its answer. The HTTP endpoints
// (http.listen) belong to serve, not to an App: they answer through a reload, from the
// App running at the time.
//
// It returns an error if the first App cannot start, if an App stops by itself with an
// error, if the endpoints fail, or if neither the new nor the previous configuration can
// start after a reload. Signals are the caller's business: hup is only a channel, so
// tests drive it directly.
func serve(ctx context.Context, o serveOptions) error {
	d := &daemon{serveOptions: o, reqs: make(chan reloadRequest), stopped: make(chan struct{})}
	defer close(d.stopped)
	ep, err := d.listen(o.cfg.HTTP)
	if err != nil {
		return err
	}
	defer func() { ep.close() }()
	cfg := o.cfg
	a, log, err := o.build(appConfig(cfg))
	if err != nil {
		return err
	}
	ep.set(a, log)
	for {
		r, err := d.runUntilReload(ctx, a, log, cfg, ep)
		a.Close()
		if err != nil || r == nil || ctx.Err() != nil {
			if r != nil {
				r.reply.answer(errors.New("stopping"))
			}
			return err
		}
		na, nlog, err := o.build(appConfig(r.cfg))
		if err != nil {
			d.metrics.ReloadDone(false, time.Now())
			log.Error().Err(err).Str("config", o.path).
				Msg("reload: the new configuration cannot start; starting the previous one again")
			if r.ep != ep {
				r.ep.close()
			}
			r.reply.answer(fmt.Errorf("the new configuration cannot start (the previous one runs again): %w", err))
			if na, nlog, err = o.build(appConfig(cfg)); err != nil {
				return fmt.Errorf("reload: restarting the previous configuration: %w", err)
			}
			ep.set(na, nlog)
		} else {
			d.metrics.ReloadDone(true, time.Now())
			cfg = r.cfg
			nlog.Info().Str("config", o.path).Int("projects", len(cfg.DCS.Projects)).Msg("reload: new configuration running")
			r.ep.set(na, nlog)
			r.reply.answer(nil)
			if r.ep != ep {
				ep.close() // after the answer: its server waits for the request that asked
				ep = r.ep
			}
		}
		a, log = na, nlog
	}
}

// appConfig is cfg as an App under serve gets it: without http.listen and its
// http.web_config_file, which serve's endpoints serve.
func appConfig(cfg *config.Config) *config.Config {
	c := *cfg
	c.HTTP.Listen = ""
	c.HTTP.WebConfigFile = ""
	return &c
}

// daemon is what serve shares with its endpoints.
type daemon struct {
	serveOptions
	reqs    chan reloadRequest // POST /-/reload
	stopped chan struct{}      // closed when serve returns: a POST waiting is answered
}

// reload is a valid configuration to run next, with the endpoints it runs behind (new
// ones when http.listen changed) and where to answer the POST that asked for it (nil
// for a SIGHUP).
type reload struct {
	cfg   *config.Config
	ep    *endpoints
	reply reloadRequest
}

// runUntilReload runs a until ctx ends (it returns nil, nil) or a valid configuration is
// read at a reload (it stops a and returns that configuration). An error is one of a.Run
// or of the endpoints.
func (d *daemon) runUntilReload(ctx context.Context, a *app.App, log zerolog.Logger, cfg *config.Config, ep *endpoints) (*reload, error) {
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	for {
		var reply reloadRequest
		select {
		case err := <-done:
			return nil, err
		case err := <-ep.failed():
			stop()
			<-done
			return nil, err
		case <-d.hup:
		case reply = <-d.reqs:
		}
		next, err := config.LoadFile(d.path)
		if err != nil {
			d.metrics.ReloadDone(false, time.Now())
			log.Error().Err(err).Str("config", d.path).
				Msg("reload: the configuration file is invalid; the running configuration is kept")
			reply.answer(err)
			continue
		}
		nextEP := ep
		if next.HTTP.Listen != cfg.HTTP.Listen {
			// Bound before anything stops, so a busy port (or a bad web config) keeps what runs.
			if nextEP, err = d.listen(next.HTTP); err != nil {
				d.metrics.ReloadDone(false, time.Now())
				log.Error().Err(err).Str("config", d.path).
					Msg("reload: the new http.listen cannot be served; the running configuration is kept")
				reply.answer(err)
				continue
			}
		} else if next.HTTP.WebConfigFile != ep.webFile() {
			// The address is held by the running server: the file it reads is fixed until
			// http.listen changes or the process restarts (its content applies at once).
			log.Warn().Str("config", d.path).Str("web_config_file", ep.webFile()).
				Msg("reload: a changed http.web_config_file applies at the next restart or change of http.listen; the listener keeps the file it serves with")
		}
		log.Info().Str("config", d.path).Msg("reload: configuration valid; stopping to apply it")
		stop()
		if err := <-done; err != nil {
			if nextEP != ep {
				nextEP.close()
			}
			reply.answer(err)
			return nil, err
		}
		return &reload{cfg: next, ep: nextEP, reply: reply}, nil
	}
}
