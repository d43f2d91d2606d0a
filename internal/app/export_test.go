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

// PollerOf returns the poller of a project in file mode, nil when none: a reload that
// keeps it running keeps the same one.
func PollerOf(a *App, id string) any {
	for _, p := range a.mode.(*fileMode).unit.pollerList() {
		if p.ProjectID() == id {
			return p
		}
	}
	return nil
}

// RunReturned reports whether the Run of a project's poller returned since it started
// (false while it polls on).
func RunReturned(a *App, id string) bool {
	u := a.mode.(*fileMode).unit
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, p := range u.pollers {
		if r := u.polling[p]; p.ProjectID() == id && r.done != nil {
			select {
			case <-r.done:
				return true
			default:
				return false
			}
		}
	}
	return true
}

// WorkerOf returns the worker delivering to a receiver in file mode, nil when none.
func WorkerOf(a *App, name string) any {
	u := a.mode.(*fileMode).unit
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
