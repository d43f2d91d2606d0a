package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/oklog/run"
	"github.com/rs/zerolog"

	"notifier/internal/poller"
)

// Run starts every component as one group and returns when all have stopped. ctx ending
// is a clean stop: polling stops, the sinks get up to shutdown.timeout to deliver what is
// pending, the state is saved and Run returns nil. Events still pending then are saved
// and delivered first by the next start. A component failing stops the others the same
// way, and Run returns its error. With the nats-kv backend it polls only the shards whose
// lease it wins, and follows the others.
func (a *App) Run(ctx context.Context) error {
	a.startLine().Msg("notifier running")
	var g run.Group
	{
		// Stop: the caller ending ctx stops every component; a clean stop, not an error.
		stop, cancel := context.WithCancel(ctx)
		g.Add(func() error {
			<-stop.Done()
			return nil
		}, func(error) {
			cancel()
		})
	}
	{
		// Polling and delivery: the file-mode unit, or the nats-kv campaign for every
		// shard. Interrupted, it stops polling, drains the sinks (unless a lease was lost)
		// and saves the state before it returns.
		modeCtx, cancel := context.WithCancel(ctx)
		g.Add(func() error {
			return a.mode.run(modeCtx)
		}, func(error) {
			cancel()
		})
	}
	{
		// Silences: the nats-kv bucket's silence keys followed, old silences dropped.
		sctx, cancel := context.WithCancel(ctx)
		g.Add(func() error {
			a.sil.run(sctx)
			return nil
		}, func(error) {
			cancel()
		})
	}
	if len(a.disc) > 0 {
		// Discovery: the projects of [[dcs.discover]] listed again every refresh; a change
		// asks for a reload (Deps.Rediscover).
		dctx, cancel := context.WithCancel(ctx)
		g.Add(func() error {
			a.refreshDiscovery(dctx)
			<-dctx.Done()
			return nil
		}, func(error) {
			cancel()
		})
	}
	err := g.Run()
	if err != nil {
		a.log.Error().Err(err).Msg("stopped by a failure")
		return err
	}
	a.log.Info().Msg("stopped")
	return nil
}

// startLine is the one line that says what runs: the build, where its configuration came
// from, what it watches and where it delivers. Unknown values are left out, never empty.
func (a *App) startLine() *zerolog.Event {
	a.mu.RLock()
	defer a.mu.RUnlock()
	e := a.log.Info()
	for _, f := range [][2]string{{"version", a.version}, {"commit", a.commit}, {"config", a.configPath}} {
		if f[1] != "" {
			e = e.Str(f[0], f[1])
		}
	}
	for _, f := range []struct {
		key  string
		list []string
	}{{"projects", a.projectIDs()}, {"receivers", a.receiverNames()}} {
		if len(f.list) > 0 {
			e = e.Strs(f.key, f.list)
		}
	}
	return e.Str("backend", a.cfg.State.Backend)
}

var errOnceKV = setupErr("state.backend: once works with the file backend; with nats-kv the leader polls (use check-config, or a file-backend copy of the config for a dry run)")

// Once runs one cycle for every project. Built with Deps.DryRun, it commits nothing and
// writes the events it would publish to out, one CloudEvent JSON per line. Otherwise it
// commits and delivers, waiting up to shutdown.timeout for the sinks.
func (a *App) Once(ctx context.Context, out io.Writer) error {
	fm, ok := a.mode.(*fileMode)
	if !ok {
		return errOnceKV
	}
	u := fm.unit
	var errs []error
	for _, p := range u.pollers {
		var err error
		if a.dryRun {
			err = a.dryRunPoll(ctx, u, p, out)
		} else {
			_, err = p.Cycle(ctx)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("project %s: %w", p.ProjectID(), err))
		}
	}
	if a.dryRun || len(u.workers) == 0 {
		return errors.Join(errs...)
	}
	u.mu.Lock()
	u.startWorkers(ctx)
	u.mu.Unlock()
	if err := u.deliverPending(ctx); err != nil {
		errs = append(errs, fmt.Errorf("%d events not delivered within shutdown.timeout; they stay saved for the next run", u.pending()))
	}
	u.stopWorkers()
	if err := u.ledger.Flush(context.Background()); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (a *App) dryRunPoll(ctx context.Context, u *unit, p *poller.Poller, out io.Writer) error {
	res, err := p.Poll(ctx)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	for i := range res.Events {
		if err := enc.Encode(&res.Events[i]); err != nil {
			return err
		}
	}
	if u.ledger.Project(p.ProjectID()) == nil && len(res.Events) == 0 && res.Next != nil {
		a.log.Info().Str("project", p.ProjectID()).Int("tasks", res.Next.Tasks.Len()).
			Msg("first poll of this project: its tasks would be recorded as the baseline without events (poll.initial = \"baseline\")")
	}
	return nil
}
