package app

import (
	"time"

	"notifier/internal/diff"
	"notifier/internal/event"
	"notifier/internal/metrics"

	"github.com/prometheus/client_golang/prometheus"
)

// Registry holds the App's metrics, which /metrics serves (internal/web).
func (a *App) Registry() *prometheus.Registry { return a.reg }

// initSeries creates every project's and every receiver's series at zero, so that a
// notifier that never manages to poll or deliver still says so from its first scrape.
// It runs before the state is loaded, which then sets what it knows. It also names the
// projects watched in notifier_project_info (after Keep, at New and at every reload).
func (a *App) initSeries() {
	info := make([]metrics.ProjectInfo, 0, len(a.projects))
	for _, p := range a.projects {
		a.m.InitProject(p.cfg.ProjectID)
		info = append(info, metrics.ProjectInfo{ID: p.cfg.ProjectID, Name: p.cfg.Name, Region: p.cfg.Region, DiscoveredBy: p.from})
	}
	a.m.SetProjects(info)
	for _, r := range a.recv {
		a.m.InitReceiver(r.sink.Name())
	}
}

// probes are what notifier_project_up and notifier_nats_connected ask at every scrape;
// installed once the mode is built.
func (a *App) probes() metrics.Probes {
	p := metrics.Probes{ProjectUp: func() map[string]bool { return a.projectUp(time.Now()) }}
	if a.nc != nil {
		p.NATSConnected = a.nc.Connected
	}
	return p
}

// projectUp says of every configured project whether a unit of this process polled it
// successfully within 3 × poll.interval, the limit /readyz uses. A project of a shard led
// by another replica is down here and up there.
func (a *App) projectUp(now time.Time) map[string]bool {
	a.mu.RLock() // a reload may replace the projects
	defer a.mu.RUnlock()
	up := make(map[string]bool, len(a.projects))
	for _, p := range a.projects {
		up[p.cfg.ProjectID] = false
	}
	if a.mode == nil {
		return up
	}
	limit := 3 * a.cfg.Poll.Interval.D()
	for _, u := range a.mode.units() {
		for id, t := range u.lastSuccess() {
			if !t.IsZero() && now.Sub(t) <= limit {
				up[id] = true
			}
		}
	}
	return up
}

// setFromState sets a project's gauges from its saved state (nil: never polled), so a
// restart does not show a project as never read, or as following no task, until its
// first poll.
func setFromState(m *metrics.Metrics, id string, ps *diff.ProjectState, terminal event.Statuses) {
	if ps == nil {
		return
	}
	if ps.LastOK > 0 {
		m.SetLastSuccess(id, time.UnixMilli(ps.LastOK))
	}
	active := 0
	for t := range ps.Tasks.Values() {
		if !terminal.IsTerminal(t.Status) {
			active++
		}
	}
	m.TasksFollowed.WithLabelValues(id).Set(float64(ps.Tasks.Len()))
	m.TasksActive.WithLabelValues(id).Set(float64(active))
}
