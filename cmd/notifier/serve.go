package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/metrics"
	"notifier/internal/web"
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
//   - if it is valid, the running App applies it in place (app.App.Apply): the pollers of
//     projects and the workers of receivers whose settings did not change run on, and an
//     unchanged configuration touches nothing. A configuration it cannot run (an unset
//     variable, say) is refused and the running one goes on;
//   - a change Apply cannot make in a running App (the state, NATS, the cluster...) stops
//     the App without waiting for the sinks (what is pending is saved, and the next App
//     delivers it first) and starts an App for the new configuration. Should that App fail
//     to start, the previous configuration starts again, so a bad reload never leaves the
//     process without a running notifier.
//
// Reloads are one at a time; the requests that arrive during one share the outcome of the
// next, which reads the file after them. Every reload sets
// notifier_config_last_reload_successful (and, on a success, its timestamp); a POST
// /-/reload gets the outcome as its answer. The HTTP endpoints (http.listen) belong to
// serve, not to an App: they answer through a reload, from the App running at the time.
//
// It returns an error if the first App cannot start, if an App stops by itself with an
// error, if the endpoints fail, or if neither the new nor the previous configuration can
// start after a reload. Signals are the caller's business: hup is only a channel, so
// tests drive it directly.
func serve(ctx context.Context, o serveOptions) error {
	d := &daemon{serveOptions: o, reqs: make(chan reloadRequest), stopped: make(chan struct{})}
	defer close(d.stopped)
	d.lifecycle.Store(o.cfg.HTTP.EnableLifecycle)
	ep, err := d.listen(o.cfg.HTTP)
	if err != nil {
		return err
	}
	cur := &current{cfg: o.cfg, ep: ep}
	defer func() { cur.ep.Close() }()
	if cur.a, cur.log, err = o.build(cur.cfg); err != nil {
		return err
	}
	cur.ep.Set(cur.a, cur.log)
	for {
		r, err := d.runUntilRestart(ctx, cur)
		cur.a.Close()
		if err != nil || r == nil || ctx.Err() != nil {
			if r != nil {
				r.answer(web.Outcome{Err: errors.New("stopping")})
			}
			return err
		}
		na, nlog, err := o.build(r.cfg)
		if err != nil {
			d.metrics.ReloadDone(false, time.Now())
			cur.log.Error().Err(err).Str("config", o.path).
				Msg("reload: the new configuration cannot start; starting the previous one again")
			if r.ep != cur.ep {
				r.ep.Close()
			}
			r.answer(web.Outcome{Err: fmt.Errorf("the new configuration cannot start (the previous one runs again): %w", err)})
			if na, nlog, err = o.build(cur.cfg); err != nil {
				return fmt.Errorf("reload: restarting the previous configuration: %w", err)
			}
			cur.ep.Set(na, nlog)
		} else {
			d.metrics.ReloadDone(true, time.Now())
			cur.cfg = r.cfg
			d.lifecycle.Store(cur.cfg.HTTP.EnableLifecycle)
			nlog.Info().Str("config", o.path).Int("projects", len(cur.cfg.DCS.Projects)).Msg("reload: new configuration running")
			r.ep.Set(na, nlog)
			r.answer(web.Outcome{})
			if r.ep != cur.ep {
				cur.ep.Close() // after the answer: its server waits for the request that asked
				cur.ep = r.ep
			}
		}
		cur.a, cur.log = na, nlog
	}
}

// daemon is what serve shares with its endpoints.
type daemon struct {
	serveOptions
	reqs      chan reloadRequest // POST /-/reload
	stopped   chan struct{}      // closed when serve returns: a POST waiting is answered
	lifecycle atomic.Bool        // http.enable_lifecycle of the configuration running
}

// current is what serve runs: an App for cfg, behind ep.
type current struct {
	a   *app.App
	log zerolog.Logger
	cfg *config.Config
	ep  *web.Server
}

// reload is a valid configuration that needs a new App, with the endpoints it runs
// behind (new ones when http.listen changed) and the POSTs waiting for its outcome.
type reload struct {
	cfg     *config.Config
	ep      *web.Server
	replies []reloadRequest
}

func (r *reload) answer(o web.Outcome) { answerAll(r.replies, o) }

// runUntilRestart runs cur.a until ctx ends (it returns nil, nil) or a reload reads a
// configuration that needs a new App (it stops cur.a and returns that configuration);
// the reloads it applies in place, or refuses, update cur. An error is one of Run or of
// the endpoints.
func (d *daemon) runUntilRestart(ctx context.Context, cur *current) (*reload, error) {
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	a := cur.a
	go func() { done <- a.Run(runCtx) }()
	for {
		var replies []reloadRequest
		select {
		case err := <-done:
			return nil, err
		case err := <-cur.ep.Failed():
			stop()
			<-done
			return nil, err
		case <-d.hup:
		case r := <-d.reqs:
			replies = append(replies, r)
		}
		r := d.reload(ctx, cur, d.waiting(replies))
		if r == nil {
			continue
		}
		// Nothing waits for the sinks: what is pending is saved, and the next App
		// delivers it first. A receiver that is down does not hold the reload.
		a.SkipDrain()
		stop()
		if err := <-done; err != nil {
			if r.ep != cur.ep {
				r.ep.Close()
			}
			r.answer(web.Outcome{Err: err})
			return nil, err
		}
		return r, nil
	}
}

// waiting adds to replies the POSTs waiting to be heard, and takes a pending SIGHUP:
// one reload, which reads the file after all of them, answers them all.
func (d *daemon) waiting(replies []reloadRequest) []reloadRequest {
	for {
		select {
		case r := <-d.reqs:
			replies = append(replies, r)
		case <-d.hup:
		default:
			return replies
		}
	}
}

// reload reads the file again and applies it to the running App, answering replies; it
// returns the configuration when it needs a new App (replies are then answered by
// serve).
func (d *daemon) reload(ctx context.Context, cur *current, replies []reloadRequest) *reload {
	failed := func(err error, msg string) *reload {
		d.metrics.ReloadDone(false, time.Now())
		cur.log.Error().Err(err).Str("config", d.path).Msg(msg)
		answerAll(replies, web.Outcome{Err: err})
		return nil
	}
	next, err := config.LoadFile(d.path)
	if err != nil {
		return failed(err, "reload: the configuration file is invalid; the running configuration is kept")
	}
	nextEP := cur.ep
	if next.HTTP.Listen != cur.cfg.HTTP.Listen {
		// Bound before anything changes, so a busy port (or a bad web config) keeps what runs.
		if nextEP, err = d.listen(next.HTTP); err != nil {
			return failed(err, "reload: the new http.listen cannot be served; the running configuration is kept")
		}
	} else if next.HTTP.WebConfigFile != cur.ep.WebConfigFile() {
		// The address is held by the running server: the file it reads is fixed until
		// http.listen changes or the process restarts (its content applies at once).
		cur.log.Warn().Str("config", d.path).Str("web_config_file", cur.ep.WebConfigFile()).
			Msg("reload: a changed http.web_config_file applies at the next restart or change of http.listen; the listener keeps the file it serves with")
	}
	res, err := cur.a.Apply(ctx, next)
	var restart *app.RestartError
	switch {
	case errors.As(err, &restart):
		cur.log.Info().Str("config", d.path).Str("reason", restart.Error()).Msg("reload: configuration valid; restarting to apply it")
		return &reload{cfg: next, ep: nextEP, replies: replies}
	case err != nil:
		if nextEP != cur.ep {
			nextEP.Close()
		}
		return failed(fmt.Errorf("the new configuration cannot start (the running one goes on): %w", err),
			"reload: the new configuration cannot start; the running configuration is kept")
	}
	d.metrics.ReloadDone(true, time.Now())
	cur.cfg = next
	d.lifecycle.Store(next.HTTP.EnableLifecycle)
	if res.Unchanged {
		cur.log.Info().Str("config", d.path).Msg("reload: configuration unchanged; everything runs on")
	} else {
		logApplied(cur.log.Info().Str("config", d.path), res).Msg("reload: new configuration running")
	}
	if nextEP != cur.ep {
		nextEP.Set(cur.a, cur.log)
	}
	answerAll(replies, web.Outcome{Unchanged: res.Unchanged})
	if nextEP != cur.ep {
		cur.ep.Close() // after the answers: its server waits for the requests that asked
		cur.ep = nextEP
	}
	return nil
}

// logApplied adds to e what a reload applied in place started, stopped and restarted.
func logApplied(e *zerolog.Event, res app.Applied) *zerolog.Event {
	for _, f := range []struct {
		key  string
		list []string
	}{
		{"projects_started", res.Projects.Started}, {"projects_stopped", res.Projects.Stopped},
		{"projects_restarted", res.Projects.Restarted}, {"receivers_started", res.Receivers.Started},
		{"receivers_stopped", res.Receivers.Stopped}, {"receivers_restarted", res.Receivers.Restarted},
	} {
		if len(f.list) > 0 {
			e = e.Strs(f.key, f.list)
		}
	}
	return e
}
