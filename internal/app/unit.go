package app

import (
	"context"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/metrics"
	"notifier/internal/poller"
	"notifier/internal/route"
	"notifier/internal/sinks"
	"notifier/internal/state"
	"notifier/internal/status"
)

// unit is one set of projects polled and delivered together over one store: every
// project in file mode, one shard under its lease in nats-kv mode. It has what it needs
// of its own and never reaches back into the App. Each poller and each receiver's worker
// runs on a context of its own, so that a reload applied in place (apply) stops and
// starts only what changed.
type unit struct {
	log    zerolog.Logger
	flush  time.Duration // how often unsaved state is saved (unitConfig.flushInterval)
	quick  *atomic.Bool  // unitConfig.quickStop
	ledger *state.Ledger
	mr     *muter
	names  atomic.Pointer[[]string] // the receivers' names, in config order

	mu      sync.Mutex
	drain   time.Duration               // shutdown.timeout
	pollers []*poller.Poller            // in the order of the projects
	polling map[*poller.Poller]*running // each poller's settings and stop
	workers []*worker                   // one per receiver, in config order
	ctx     context.Context             // run's, for pollers; nil when not running
	held    context.Context             // run's, for workers; nil when not running
}

// running is a poller's project settings (project.fp) and, while it runs, its stop.
type running struct {
	fp   string
	stop func()        // cancels its Run and waits for it to return; nil when not running
	done chan struct{} // closed when its last Run returned
}

// worker delivers one receiver's events: a Dispatcher of that sink alone.
type worker struct {
	sink sinks.Sink
	disp *sinks.Dispatcher
	stop func() // cancels its Run and waits for it to return; nil when not running
}

// unitConfig is what every unit is built from: made once by New and shared by the units
// of every shard.
type unitConfig struct {
	cfg *config.Config
	// policy is what every project's diff policy shares (newPoller): built once for the
	// configuration rather than once per project of a fleet. Nil: built per project.
	policy    *sharedPolicy
	log       zerolog.Logger
	m         *metrics.Metrics
	receivers []receiver
	routes    *route.Table // who gets each event (filters, windows), decided at commit
	now       func() time.Time
	rec       *status.Recorder
	// everyProject: the projects configured and discovered are every one to watch (no
	// discovery listing failed), so one remembered but not among them was removed and
	// its receivers end what they hold for it. Otherwise it may be missing by chance.
	everyProject bool
	// dryRun: no receiver is opened (once --dry-run, --render), yet the ledger keeps what
	// the configured ones hold (their pending events, what they remember), which a
	// rendering reads and nothing saves.
	dryRun bool
	// quickStop, once set, makes the units stop without giving the sinks
	// shutdown.timeout: the App stops for a reload, and the next one delivers what is
	// pending first.
	quickStop *atomic.Bool
}

// newUnit loads the store and builds the pollers and the workers of a unit.
func (c unitConfig) newUnit(ctx context.Context, store state.Store, projects []project) (*unit, error) {
	snap, err := store.Load(ctx)
	if err != nil {
		return nil, err
	}
	u := &unit{log: c.log, drain: c.cfg.Shutdown.Timeout.D(), flush: c.flushInterval(), quick: c.quickStop,
		polling: map[*poller.Poller]*running{}}
	if u.quick == nil {
		u.quick = new(atomic.Bool)
	}
	u.mr = newMuter(c.routes, c.now)
	opts := []state.LedgerOption{state.Route(u.mr.Route), state.OnDrop(func(sink string, evs []event.Event) {
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
	names := c.receiverNames()
	for _, r := range c.receivers {
		opts = append(opts, state.MaxPending(r.sink.Name(), r.maxPending))
	}
	u.names.Store(&names)
	opts = append(opts, state.OnCommit(func(e *event.Event, to []string) { c.committed(u.mr, e, to, *u.names.Load()) }))
	if c.everyProject {
		ids := make([]string, len(projects))
		for i, p := range projects {
			ids[i] = p.cfg.ProjectID
		}
		opts = append(opts, state.Watching(ids))
	}
	ledger, removed := state.NewLedger(store, snap, names, opts...)
	c.reportRemoved(removed, ledger.Forgotten())
	u.ledger = ledger
	for _, p := range projects {
		pl, err := c.newPoller(p, ledger)
		if err != nil {
			return nil, err
		}
		u.pollers = append(u.pollers, pl)
		u.polling[pl] = &running{fp: p.fp}
	}
	for _, r := range c.receivers {
		u.workers = append(u.workers, c.newWorker(r.sink, ledger))
	}
	return u, nil
}

func (c unitConfig) receiverNames() []string {
	if c.dryRun {
		var names []string
		for _, r := range c.cfg.Receivers() {
			names = append(names, r.Name)
		}
		return names
	}
	names := make([]string, len(c.receivers))
	for i, r := range c.receivers {
		names[i] = r.sink.Name()
	}
	return names
}

// reportRemoved says what receivers no longer configured lost: nothing vanishes
// silently.
func (c unitConfig) reportRemoved(removed, forgot map[string]int) {
	for _, name := range slices.Sorted(maps.Keys(removed)) {
		c.m.Deliveries.WithLabelValues(name, "dropped").Add(float64(removed[name]))
		c.log.Warn().Str("receiver", name).Int("events", removed[name]).
			Msgf("receiver %q removed from the config: %d pending events dropped", name, removed[name])
	}
	for _, name := range slices.Sorted(maps.Keys(forgot)) {
		// A renamed on-call receiver no longer knows the incidents it opened, so nothing
		// will resolve them.
		c.log.Warn().Str("receiver", name).Int("keys", forgot[name]).
			Msgf("receiver %q removed from the config: what it remembered is forgotten (%d open incidents or live cards); incidents it opened are left to a person", name, forgot[name])
	}
}

// newWorker is the Dispatcher of one sink over the ledger.
func (c unitConfig) newWorker(s sinks.Sink, ledger *state.Ledger) *worker {
	return &worker{sink: s, disp: sinks.NewDispatcher(sinks.DispatcherOptions{
		Queue: ledger, Sinks: []sinks.Sink{s}, Log: c.log, Metrics: c.m, MaxBackoff: c.cfg.Poll.MaxBackoff.D(),
		Report: c.rec.Delivery, Memory: func(s string) sinks.Memory { return ledger.Memory(s) },
	})}
}

// run polls and delivers until ctx is done. Then, if drain says so (a clean stop rather
// than a lost lease) and the App does not stop for a reload, it gives the sinks up to
// shutdown.timeout to deliver what is pending, and saves. The deliveries go on after ctx
// is done, until held is done (in nats-kv mode, the lease lost: another replica may lead
// by then).
func (u *unit) run(ctx, held context.Context, drain func() bool) {
	u.mu.Lock()
	u.ctx = ctx
	u.startWorkers(held)
	for _, p := range u.pollers {
		u.startPoller(p)
	}
	u.mu.Unlock()
	var flushing sync.WaitGroup
	flushing.Go(func() { u.flushEvery(ctx, u.flush) })
	<-ctx.Done()
	u.mu.Lock()
	u.ctx = nil
	for _, p := range u.pollers {
		u.stopPoller(p)
	}
	u.mu.Unlock()
	flushing.Wait()
	if drain() && !u.quick.Load() {
		u.log.Info().Dur("timeout", u.drainTimeout()).Msg("stopping: polling stopped, delivering pending events")
		if err := u.deliverPending(held); err != nil {
			if held.Err() != nil {
				u.log.Warn().Int("pending", u.pending()).Msg("the lease was lost while delivering: the next leader delivers what is left")
			} else {
				u.log.Warn().Int("pending", u.pending()).Msg("shutdown timeout: undelivered events stay saved and go out first at the next start")
			}
		}
	}
	u.stopWorkers()
	if err := u.ledger.Flush(context.Background()); err != nil {
		u.log.Error().Err(err).Msg("saving state at shutdown failed; deliveries since the last save will repeat")
	}
}

// startPoller runs p until the unit stops or a reload stops it (u.mu held; nothing
// when the unit does not run).
func (u *unit) startPoller(p *poller.Poller) {
	r := u.polling[p]
	if u.ctx == nil || r.stop != nil {
		return
	}
	ctx, cancel := context.WithCancel(u.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx)
	}()
	r.done = done
	r.stop = func() {
		cancel()
		<-done
	}
}

// stopPoller stops p and waits for its Run to return (u.mu held).
func (u *unit) stopPoller(p *poller.Poller) {
	if r := u.polling[p]; r.stop != nil {
		r.stop()
		r.stop = nil
	}
}

// startWorkers runs every receiver's worker until held is done, stopWorkers is called
// or a reload stops it (u.mu held).
func (u *unit) startWorkers(held context.Context) {
	u.held = held
	for _, w := range u.workers {
		u.startWorker(w)
	}
}

func (u *unit) startWorker(w *worker) {
	if u.held == nil || w.stop != nil {
		return
	}
	ctx, cancel := context.WithCancel(u.held)
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.disp.Run(ctx)
	}()
	w.stop = func() {
		cancel()
		<-done
	}
}

// stopWorkers stops every worker and waits for each.
func (u *unit) stopWorkers() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.held = nil
	for _, w := range u.workers {
		if w.stop != nil {
			w.stop()
			w.stop = nil
		}
	}
}

// pollerList returns the unit's pollers, in the order of the projects.
func (u *unit) pollerList() []*poller.Poller {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.pollers)
}

func (u *unit) drainTimeout() time.Duration {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.drain
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

// deliverPending waits up to shutdown.timeout for the running workers to deliver
// everything pending. They deliver at once; each is waited for in turn.
func (u *unit) deliverPending(ctx context.Context) error {
	u.mu.Lock()
	ws := slices.Clone(u.workers)
	ctx, cancel := context.WithTimeout(ctx, u.drain)
	u.mu.Unlock()
	defer cancel()
	var first error
	for _, w := range ws {
		if err := w.disp.Drain(ctx); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// pending counts the events not yet delivered, summed over the sinks.
func (u *unit) pending() int {
	n := 0
	for _, s := range *u.names.Load() {
		n += u.ledger.Count(s)
	}
	return n
}

// lastSuccess lists each poller's last successful poll.
func (u *unit) lastSuccess() map[string]time.Time {
	ps := u.pollerList()
	out := make(map[string]time.Time, len(ps))
	for _, p := range ps {
		out[p.ProjectID()] = p.LastSuccess()
	}
	return out
}
