package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"notifier/internal/poller"
)

// Run polls and delivers until ctx is done, then stops polling, gives the sinks up to
// shutdown.timeout to deliver what is pending, saves the state and returns nil. Events
// still pending then are saved and delivered first by the next start. With the nats-kv
// backend it polls only the shards whose lease it wins, and follows the others.
func (a *App) Run(ctx context.Context) error {
	ln := a.ln
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 5 * time.Second}
	if ln != nil {
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.log.Error().Err(err).Msg("http server stopped")
			}
		}()
		a.log.Info().Str("listen", ln.Addr().String()).Msg("serving /metrics, /healthz and /readyz")
	}

	a.log.Info().Int("projects", len(a.projects)).Int("sinks", len(a.sinks)).Str("state", a.cfg.State.Backend).Msg("notifier running")
	if a.kv != nil {
		a.runKV(ctx)
	} else {
		a.file.unit.run(ctx, a, func() bool { return true })
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = srv.Shutdown(shutCtx)
	a.log.Info().Msg("stopped")
	return nil
}

var errOnceKV = setupErr("state.backend: once works with the file backend; with nats-kv the leader polls (use check-config, or a file-backend copy of the config for a dry run)")

// Once runs one cycle for every project. With dryRun it commits nothing and writes the
// events it would publish to out, one CloudEvent JSON per line. Otherwise it commits and
// delivers, waiting up to shutdown.timeout for the sinks.
func (a *App) Once(ctx context.Context, dryRun bool, out io.Writer) error {
	if a.file == nil {
		return errOnceKV
	}
	u := a.file.unit
	var errs []error
	for _, p := range u.pollers {
		var err error
		if dryRun {
			err = a.dryRun(ctx, u, p, out)
		} else {
			_, err = p.Cycle(ctx)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("project %s: %w", p.ProjectID(), err))
		}
	}
	if dryRun || len(a.sinks) == 0 {
		return errors.Join(errs...)
	}
	dispCtx, stop := context.WithCancel(ctx)
	var done sync.WaitGroup
	done.Go(func() { u.disp.Run(dispCtx) })
	drainCtx, cancel := context.WithTimeout(ctx, a.cfg.Shutdown.Timeout.D())
	if err := u.disp.Drain(drainCtx); err != nil {
		errs = append(errs, fmt.Errorf("%d events not delivered within shutdown.timeout; they stay saved for the next run", u.pending(a)))
	}
	cancel()
	stop()
	done.Wait()
	if err := u.ledger.Flush(context.Background()); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (a *App) dryRun(ctx context.Context, u *unit, p *poller.Poller, out io.Writer) error {
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
		a.log.Info().Str("project", p.ProjectID()).Int("tasks", len(res.Next.Tasks)).
			Msg("first poll of this project: its tasks would be recorded as the baseline without events (poll.initial = \"baseline\")")
	}
	return nil
}
