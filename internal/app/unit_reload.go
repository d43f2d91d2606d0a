package app

import (
	"context"
	"maps"
	"slices"

	"notifier/internal/poller"
	"notifier/internal/sinks"
)

// apply makes the unit poll projects and deliver to c.receivers, as a reload asks,
// without stopping what did not change: the poller of a project whose settings (fp) are
// the same goes on, and so does the worker of a receiver whose sink is the same. The
// others stop (each waited for, one request or one send at most), and the new ones start
// when the unit runs. The ledger keeps every receiver's backlog and memory, but a
// removed one's. Nothing changes when a poller cannot be built.
func (u *unit) apply(c unitConfig, projects []project) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	byID := make(map[string]*poller.Poller, len(u.pollers))
	for _, p := range u.pollers {
		byID[p.ProjectID()] = p
	}
	pollers := make([]*poller.Poller, 0, len(projects))
	built := map[*poller.Poller]*running{}
	for _, p := range projects {
		if pl := byID[p.cfg.ProjectID]; pl != nil && u.polling[pl].fp == p.fp {
			pollers = append(pollers, pl)
			continue
		}
		pl, err := c.newPoller(p, u.ledger)
		if err != nil {
			return err
		}
		pollers = append(pollers, pl)
		built[pl] = &running{fp: p.fp}
	}
	for _, p := range u.pollers {
		if !slices.Contains(pollers, p) {
			u.stopPoller(p)
			delete(u.polling, p)
		}
	}
	maps.Copy(u.polling, built)
	u.pollers = pollers

	bySink := map[sinks.Sink]*worker{}
	for _, w := range u.workers {
		bySink[w.sink] = w
	}
	workers := make([]*worker, 0, len(c.receivers))
	maxPending := map[string]int{}
	for _, r := range c.receivers {
		w := bySink[r.sink]
		if w == nil {
			w = c.newWorker(r.sink, u.ledger)
		}
		workers = append(workers, w)
		maxPending[r.sink.Name()] = r.maxPending
	}
	for _, w := range u.workers {
		if !slices.Contains(workers, w) && w.stop != nil {
			w.stop()
			w.stop = nil
		}
	}
	names := c.receiverNames()
	var watching []string // nil: every project counts as watched
	if c.everyProject {
		watching = make([]string, len(projects))
		for i, p := range projects {
			watching[i] = p.cfg.ProjectID
		}
	}
	// What receivers hold for a project no longer polled, they end at their next tick.
	u.ledger.SetWatching(watching)
	removed, forgot, err := u.ledger.SetReceivers(context.Background(), names, maxPending)
	if err != nil {
		u.log.Warn().Err(err).Msg("reload: saving the state failed; the change is saved with the next save")
	}
	c.reportRemoved(removed, forgot)
	u.names.Store(&names)
	u.mr.setRules(c.routes)
	u.workers = workers
	for _, w := range workers {
		u.startWorker(w) // the running ones run on
	}
	for _, p := range pollers {
		u.startPoller(p)
	}
	u.drain = c.cfg.Shutdown.Timeout.D()
	return nil
}
