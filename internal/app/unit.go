package app

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/config"
	"notifier/internal/diff"
	"notifier/internal/event"
	"notifier/internal/metrics"
	"notifier/internal/mute"
	"notifier/internal/poller"
	"notifier/internal/route"
	"notifier/internal/sinks"
	"notifier/internal/state"
	"notifier/internal/status"
)

// unit is one set of projects polled and delivered together over one store: every
// project in file mode, one shard under its lease in nats-kv mode. It has what it needs
// of its own and never reaches back into the App.
type unit struct {
	log     zerolog.Logger
	drain   time.Duration // shutdown.timeout
	flush   time.Duration // how often unsaved state is saved (unitConfig.flushInterval)
	sinks   []string      // the names of the sinks it delivers to
	ledger  *state.Ledger
	pollers []*poller.Poller
	disp    *sinks.Dispatcher
}

// unitConfig is what every unit is built from: made once by New and shared by the units
// of every shard.
type unitConfig struct {
	cfg       *config.Config
	log       zerolog.Logger
	m         *metrics.Metrics
	receivers []receiver
	routes    *route.Table // which receivers each event goes to, decided at commit
	mutes     *mute.Set    // maintenance windows, decided at commit with the routes
	now       func() time.Time
	rec       *status.Recorder
	// everyProject: the projects configured and discovered are every one to watch (no
	// discovery listing failed), so one remembered but not among them was removed and
	// its receivers end what they hold for it. Otherwise it may be missing by chance.
	everyProject bool
}

// newUnit loads the store and builds the pollers and the dispatcher of a unit.
func (c unitConfig) newUnit(ctx context.Context, store state.Store, projects []project) (*unit, error) {
	snap, err := store.Load(ctx)
	if err != nil {
		return nil, err
	}
	u := &unit{log: c.log, drain: c.cfg.Shutdown.Timeout.D(), flush: c.flushInterval()}
	all := make([]sinks.Sink, len(c.receivers))
	mr := newMuter(c.routes, c.mutes, c.now)
	opts := []state.LedgerOption{state.Route(mr.Route), state.OnDrop(func(sink string, evs []event.Event) {
		// A receiver past its max_pending loses its oldest events, never another's.
		c.m.Deliveries.WithLabelValues(sink, "dropped").Add(float64(len(evs)))
		ids := make([]string, len(evs))
		for i := range evs {
			ids[i] = evs[i].ID
		}
		c.rec.Dropped(sink, ids, "past max_pending")
		c.log.Error().Str("receiver", sink).Int("events", len(evs)).Str("oldest_event_id", evs[0].ID).
			Msg("receiver backlog past max_pending: its oldest pending events were dropped for it")
	})}
	for i, r := range c.receivers {
		all[i] = r.sink
		u.sinks = append(u.sinks, r.sink.Name())
		opts = append(opts, state.MaxPending(r.sink.Name(), r.maxPending))
	}
	opts = append(opts, state.OnCommit(func(e *event.Event, to []string) { c.committed(mr, e, to, u.sinks) }))
	if c.everyProject {
		ids := make([]string, len(projects))
		for i, p := range projects {
			ids[i] = p.cfg.ProjectID
		}
		opts = append(opts, state.Watching(ids))
	}
	ledger, removed := state.NewLedger(store, snap, u.sinks, opts...)
	for _, name := range slices.Sorted(maps.Keys(removed)) {
		// Nothing vanishes silently: one line and a count per receiver that went away.
		c.m.Deliveries.WithLabelValues(name, "dropped").Add(float64(removed[name]))
		c.log.Warn().Str("receiver", name).Int("events", removed[name]).
			Msgf("receiver %q removed from the config: %d pending events dropped", name, removed[name])
	}
	for name, n := range ledger.Forgotten() {
		// Not silently either: a renamed on-call receiver no longer knows the incidents
		// it opened, so nothing will resolve them.
		c.log.Warn().Str("receiver", name).Int("keys", n).
			Msgf("receiver %q removed from the config: what it remembered is forgotten (%d open incidents or live cards); incidents it opened are left to a person", name, n)
	}
	u.ledger = ledger
	for _, p := range projects {
		pl, err := c.newPoller(p, ledger)
		if err != nil {
			return nil, err
		}
		u.pollers = append(u.pollers, pl)
	}
	u.disp = sinks.NewDispatcher(sinks.DispatcherOptions{
		Queue: ledger, Sinks: all, Log: c.log, Metrics: c.m, MaxBackoff: c.cfg.Poll.MaxBackoff.D(),
		Report: c.rec.Delivery, Memory: func(s string) sinks.Memory { return ledger.Memory(s) },
	})
	return u, nil
}

// stuckPolicy is the [stuck] table as the diff uses it.
func stuckPolicy(s config.Stuck) diff.StuckPolicy {
	after := make(map[string]time.Duration, len(s.After))
	for name, d := range s.After {
		after[name] = d.D()
	}
	return diff.StuckPolicy{After: after, Factor: s.Factor, MinSamples: s.MinSamples, MinAfter: s.MinAfter.D(), DefaultAfter: s.DefaultAfter.D()}
}

func (c unitConfig) newPoller(p project, ledger *state.Ledger) (*poller.Poller, error) {
	pc := c.cfg.Poll
	terminal := event.NewStatuses(pc.TerminalStatuses)
	id := p.cfg.ProjectID
	// The project's series exist from the start (App.initSeries); what the saved state
	// knows of it is set here, and again at every takeover of its shard.
	c.m.InitProject(id)
	setFromState(c.m, id, ledger.Project(id), terminal)
	return poller.New(poller.Options{
		Policy: diff.Policy{
			ProjectID: id, ProjectName: p.cfg.Name, Region: p.cfg.Region, Lookback: pc.Lookback.D(), Margin: pc.SafetyMargin.D(),
			Terminal: terminal, Notify: pc.Initial == "notify" && !p.discovered, MaxFollow: pc.MaxFollow.D(),
			Stuck: stuckPolicy(c.cfg.Stuck), GapAfter: pc.GapAfter.D(),
			SaveLastOK: c.saveLastOK(),
		},
		PageSize: c.cfg.DCS.PageSize, Interval: pc.Interval.D(), ActiveInterval: pc.ActiveInterval.D(),
		FastInterval: pc.FastInterval.D(), MaxBackoff: pc.MaxBackoff.D(), WindowParam: c.cfg.DCS.StartTimeParam,
		StartDelay: p.startDelay,
		Lister:     p.client, Ledger: ledger, Metrics: c.m,
		Log: c.log.With().Str("project", id).Str("region", p.cfg.Region).Logger(),
	})
}

// run polls and delivers until ctx is done. Then, if drain says so (a clean stop rather
// than a lost lease), it gives the sinks up to shutdown.timeout to deliver what is
// pending, and saves. The deliveries go on after ctx is done, until held is done (in
// nats-kv mode, the lease lost: another replica may lead by then).
func (u *unit) run(ctx, held context.Context, drain func() bool) {
	dispCtx, stopDisp := context.WithCancel(held)
	var dispDone sync.WaitGroup
	dispDone.Go(func() { u.disp.Run(dispCtx) })
	var polling sync.WaitGroup
	for _, p := range u.pollers {
		polling.Go(func() { p.Run(ctx) })
	}
	polling.Go(func() { u.flushEvery(ctx, u.flush) })
	<-ctx.Done()
	polling.Wait()
	if drain() {
		u.log.Info().Dur("timeout", u.drain).Msg("stopping: polling stopped, delivering pending events")
		if err := u.deliverPending(held); err != nil {
			if held.Err() != nil {
				u.log.Warn().Int("pending", u.pending()).Msg("the lease was lost while delivering: the next leader delivers what is left")
			} else {
				u.log.Warn().Int("pending", u.pending()).Msg("shutdown timeout: undelivered events stay saved and go out first at the next start")
			}
		}
	}
	stopDisp()
	dispDone.Wait()
	if err := u.ledger.Flush(context.Background()); err != nil {
		u.log.Error().Err(err).Msg("saving state at shutdown failed; deliveries since the last save will repeat")
	}
}

// saveLastOK is how often a quiet project's state is written for the time of its last
// poll (a restart after lookback + margin must know it was down that long).
func (c unitConfig) saveLastOK() time.Duration {
	return min(10*time.Minute, (c.cfg.Poll.Lookback.D()+c.cfg.Poll.SafetyMargin.D())/4)
}

// flushInterval is how often what the ledger holds unsaved (a quiet project's last-poll
// time, a delivery whose save failed) is saved when nothing else saves it: a minute, or
// less when saveLastOK is short, so that the saved time of a last poll is never much
// older than saveLastOK.
func (c unitConfig) flushInterval() time.Duration {
	return max(time.Second, min(time.Minute, c.saveLastOK()/4))
}

// flushEvery saves what the ledger holds unsaved every interval until ctx is done: with
// 1,000 quiet projects each refreshing its last-poll time every 10 minutes, one save a
// minute instead of 1.7 a second (a whole-file rewrite each, in file mode).
func (u *unit) flushEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := u.ledger.Flush(ctx); err != nil && ctx.Err() == nil {
				u.log.Warn().Err(err).Msg("saving the state failed; will try again")
			}
		}
	}
}

// deliverPending waits up to shutdown.timeout for the running dispatcher to deliver
// everything pending.
func (u *unit) deliverPending(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, u.drain)
	defer cancel()
	return u.disp.Drain(ctx)
}

// pending counts the events not yet delivered, summed over the sinks.
func (u *unit) pending() int {
	n := 0
	for _, s := range u.sinks {
		n += u.ledger.Count(s)
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

// committed hears each saved event: what the maintenance windows kept it from is
// counted (result="muted") and logged at debug (a window's first muted event of each
// opening at info), and the recorder shows it.
func (c unitConfig) committed(mr *muter, e *event.Event, to, all []string) {
	h, ok := mr.take(e.ID)
	if !ok {
		c.rec.Committed(e, to, all)
		return
	}
	muted := make(map[string]string, len(h.muted))
	for _, m := range h.muted {
		muted[m.Receiver] = m.Window
		c.m.Deliveries.WithLabelValues(m.Receiver, "muted").Inc()
		if mr.firstOf(m) {
			c.log.Info().Str("window", m.Window).Time("until", m.Until).
				Msg("maintenance window open: matching events are not sent to its receivers (NATS gets them); each one is logged at debug")
		}
		c.log.Debug().Str("receiver", m.Receiver).Str("window", m.Window).Str("event_id", e.ID).Str("type", e.Type).
			Time("until", m.Until).Msg("event muted by a maintenance window")
	}
	c.rec.CommittedMuted(e, to, muted, all, h.at)
}
