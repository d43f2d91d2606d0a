package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"notifier/internal/config"
	"notifier/internal/dcs"
	"notifier/internal/diff"
	"notifier/internal/event"
	"notifier/internal/poller"
	"notifier/internal/sinks"
	"notifier/internal/state"
)

// unit is one set of projects polled and delivered together over one store: every
// project in file mode, one shard under its lease in nats-kv mode.
type unit struct {
	ledger  *state.Ledger
	pollers []*poller.Poller
	disp    *sinks.Dispatcher
}

// newUnit loads the store and builds the pollers and the dispatcher of a unit.
func (a *App) newUnit(ctx context.Context, store state.Store, projects []project) (*unit, error) {
	snap, err := store.Load(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(a.sinks))
	for i, s := range a.sinks {
		names[i] = s.Name()
	}
	ledger, dropped := state.NewLedger(store, snap, names, append(a.maxPending(), state.OnDrop(func(sink string, evs []event.Event) {
		// A receiver past its max_pending loses its oldest events, never another's.
		a.m.Deliveries.WithLabelValues(sink, "dropped").Add(float64(len(evs)))
		a.log.Error().Str("sink", sink).Int("events", len(evs)).Str("oldest_event_id", evs[0].ID).
			Msg("receiver backlog past max_pending: its oldest pending events were dropped for it")
	}))...)
	if dropped > 0 {
		a.log.Warn().Int("events", dropped).Msg("pending events were only for sinks no longer configured; dropped")
	}
	u := &unit{ledger: ledger}
	for _, p := range projects {
		pl, err := a.newPoller(p.cfg, p.client, ledger)
		if err != nil {
			return nil, err
		}
		u.pollers = append(u.pollers, pl)
	}
	u.disp = sinks.NewDispatcher(sinks.DispatcherOptions{Queue: ledger, Sinks: a.sinks, Log: a.log, Metrics: a.m, MaxBackoff: a.cfg.Poll.MaxBackoff.D()})
	return u, nil
}

// maxPending bounds each receiver's backlog as configured.
func (a *App) maxPending() []state.LedgerOption {
	opts := []state.LedgerOption{state.MaxPending("nats", a.cfg.NATS.MaxPending)}
	for i, w := range a.cfg.Slack.Webhooks {
		opts = append(opts, state.MaxPending(fmt.Sprintf("slack[%d]", i), w.MaxPending))
	}
	return opts
}

func (a *App) newPoller(p config.Project, c dcs.Lister, ledger *state.Ledger) (*poller.Poller, error) {
	terminal := event.NewStatuses(a.cfg.Poll.TerminalStatuses)
	// Series exist from the start, so rate() and absent() work before the first poll.
	for _, r := range []string{"ok", "error"} {
		a.m.Polls.WithLabelValues(p.ProjectID, r)
	}
	a.m.WindowIgnored.WithLabelValues(p.ProjectID)
	return poller.New(poller.Options{
		Policy: diff.Policy{
			ProjectID: p.ProjectID, Region: p.Region, Lookback: a.cfg.Poll.Lookback.D(), Margin: a.cfg.Poll.SafetyMargin.D(),
			Terminal: terminal, Notify: a.cfg.Poll.Initial == "notify", MaxFollow: a.cfg.Poll.MaxFollow.D(),
		},
		PageSize: a.cfg.DCS.PageSize, Interval: a.cfg.Poll.Interval.D(), ActiveInterval: a.cfg.Poll.ActiveInterval.D(),
		FastInterval: a.cfg.Poll.FastInterval.D(), MaxBackoff: a.cfg.Poll.MaxBackoff.D(),
		Lister: c, Ledger: ledger, Metrics: a.m,
		Log: a.log.With().Str("project", p.ProjectID).Str("region", p.Region).Logger(),
	})
}

// run polls and delivers until ctx is done. Then, if drain says so (a clean stop rather
// than a lost lease), it gives the sinks up to shutdown.timeout to deliver what is
// pending, and saves.
func (u *unit) run(ctx context.Context, a *App, drain func() bool) {
	dispCtx, stopDisp := context.WithCancel(context.WithoutCancel(ctx))
	var dispDone sync.WaitGroup
	dispDone.Go(func() { u.disp.Run(dispCtx) })
	var polling sync.WaitGroup
	for _, p := range u.pollers {
		polling.Go(func() { p.Run(ctx) })
	}
	<-ctx.Done()
	polling.Wait()
	if drain() {
		a.log.Info().Dur("timeout", a.cfg.Shutdown.Timeout.D()).Msg("stopping: polling stopped, delivering pending events")
		drainCtx, cancel := context.WithTimeout(context.Background(), a.cfg.Shutdown.Timeout.D())
		if err := u.disp.Drain(drainCtx); err != nil {
			a.log.Warn().Int("pending", u.pending(a)).Msg("shutdown timeout: undelivered events stay saved and go out first at the next start")
		}
		cancel()
	}
	stopDisp()
	dispDone.Wait()
	if err := u.ledger.Flush(context.Background()); err != nil {
		a.log.Error().Err(err).Msg("saving state at shutdown failed; deliveries since the last save will repeat")
	}
}

func (u *unit) pending(a *App) int {
	n := 0
	for _, s := range a.sinks {
		n += u.ledger.Count(s.Name())
	}
	return n
}

// lastSuccess lists each poller's last successful poll.
func (u *unit) lastSuccess() map[string]time.Time {
	out := make(map[string]time.Time, len(u.pollers))
	for _, p := range u.pollers {
		out[p.ProjectID()] = p.LastSuccess()
	}
	return out
}
