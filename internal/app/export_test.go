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

// SetLivenessBounds replaces the bounds /healthz judges the loops by, so that a test sees
// a wedged loop within moments rather than the quarter hour of the defaults.
func SetLivenessBounds(a *App, poll, send, grace time.Duration) {
	a.live = livenessBounds{poll: poll, send: send, grace: grace}
}
