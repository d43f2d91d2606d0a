package app

import "time"

// ProjectNames lists the names (the id when unnamed) of the projects an App watches, in
// order: the configured ones, then the discovered ones.
func ProjectNames(a *App) []string {
	out := make([]string, len(a.projects))
	for i, p := range a.projects {
		out[i] = p.cfg.Name
		if out[i] == "" {
			out[i] = p.cfg.ProjectID
		}
	}
	return out
}

// SameBudget reports whether two projects' requests wait on the same budget.
func SameBudget(a *App, id1, id2 string) bool {
	var b1, b2 any
	for _, p := range a.projects {
		switch p.cfg.ProjectID {
		case id1:
			b1 = p.budget
		case id2:
			b2 = p.budget
		}
	}
	return b1 != nil && b1 == b2
}

// PollerOf returns the poller of a project in the units running now (file mode's one,
// the shards led in nats-kv mode), nil when none: a reload that keeps it running keeps
// the same one.
func PollerOf(a *App, id string) any {
	for _, u := range a.mode.units() {
		for _, p := range u.pollerList() {
			if p.ProjectID() == id {
				return p
			}
		}
	}
	return nil
}

// IdleIntervalOf returns the idle interval of a project's running poller now (0 when none
// runs): poll.interval, or what "auto" gives it.
func IdleIntervalOf(a *App, id string) time.Duration {
	for _, u := range a.mode.units() {
		for _, p := range u.pollerList() {
			if p.ProjectID() == id {
				return p.IdleInterval()
			}
		}
	}
	return 0
}

// RunReturned reports whether the Run of a project's poller returned since it started
// (false while it polls on).
func RunReturned(a *App, id string) bool {
	for _, u := range a.mode.units() {
		if returned, found := runReturned(u, id); found {
			return returned
		}
	}
	return true
}

func runReturned(u *unit, id string) (returned, found bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, p := range u.pollers {
		if r := u.polling[p]; p.ProjectID() == id && r.done != nil {
			select {
			case <-r.done:
				return true, true
			default:
				return false, true
			}
		}
	}
	return false, false
}

// WorkerOf returns the worker delivering to a receiver in the first unit running now,
// nil when none.
func WorkerOf(a *App, name string) any {
	us := a.mode.units()
	if len(us) == 0 {
		return nil
	}
	u := us[0]
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, w := range u.workers {
		if w.sink.Name() == name {
			return w
		}
	}
	return nil
}

// SetLivenessBounds replaces the bounds /healthz judges the loops by, so that a test sees
// a wedged loop within moments rather than the quarter hour of the defaults.
func SetLivenessBounds(a *App, poll, send, grace time.Duration) {
	a.live = livenessBounds{poll: poll, send: send, grace: grace}
}
