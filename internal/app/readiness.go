package app

import (
	"maps"
	"slices"
	"time"

	"notifier/internal/poller"
	"notifier/internal/status"
)

// Readiness is the body of /readyz (internal/web): this replica's view of each project's
// last poll, its receivers' backlogs, NATS and the shards it leads. Upstream health is
// the body's detail, never a reason not to be ready: see internal/web.
func (a *App) Readiness(now time.Time) status.Readiness {
	a.mu.RLock() // a reload may replace the projects and receivers
	defer a.mu.RUnlock()
	h := status.Readiness{Status: "ready", Reasons: []string{}, Upstream: "ok", Problems: a.upstreamProblems(now),
		Projects: a.projectStatus(), Receivers: a.receiverStatus(), NATS: "not configured", Shards: a.mode.status()}
	if len(h.Problems) > 0 {
		h.Upstream = "degraded"
	} else {
		h.Problems = []string{}
	}
	if a.nc != nil {
		h.NATS = a.nc.State()
	}
	if h.Shards == nil {
		h.Shards = []status.ShardStatus{}
	}
	return h
}

func (a *App) projectStatus() []status.ProjectStatus {
	polled := map[string]poller.Status{}
	for _, u := range a.mode.units() {
		for _, p := range u.pollerList() {
			polled[p.ProjectID()] = p.Status()
		}
	}
	out := make([]status.ProjectStatus, len(a.projects))
	for i, p := range a.projects {
		ps := status.ProjectStatus{ID: p.cfg.ProjectID, Result: "none"}
		if st, ok := polled[ps.ID]; ok && !st.LastPoll.IsZero() {
			ps.LastPoll, ps.Result = timePtr(st.LastPoll), "ok"
			if st.Error != "" {
				ps.Result, ps.Error = "error", &st.Error
			}
			if !st.LastSuccess.IsZero() {
				ps.LastSuccess = timePtr(st.LastSuccess)
			}
		}
		out[i] = ps
	}
	return out
}

func timePtr(t time.Time) *time.Time {
	t = t.UTC().Truncate(time.Millisecond)
	return &t
}

func (a *App) receiverStatus() []status.ReceiverStatus {
	out := make([]status.ReceiverStatus, len(a.recv))
	for i, r := range a.recv {
		out[i].Name = r.sink.Name()
		for _, u := range a.mode.units() {
			out[i].Pending += u.ledger.Count(out[i].Name)
		}
	}
	return out
}

// upstreamProblems lists what is degraded upstream — a project not read successfully
// within three poll.interval, NATS not connected — each built only from project ids,
// durations and fixed text.
func (a *App) upstreamProblems(now time.Time) []string {
	var reasons []string
	limit := 3 * a.cfg.Poll.Interval.D()
	// A follower (nats-kv, no lease) polls nothing and is ready to take over.
	for _, u := range a.mode.units() {
		last := u.lastSuccess()
		for _, id := range slices.Sorted(maps.Keys(last)) {
			switch t := last[id]; {
			case t.IsZero():
				reasons = append(reasons, "project "+id+": no successful poll yet")
			case now.Sub(t) > limit:
				reasons = append(reasons, "project "+id+": last successful poll "+
					now.Sub(t).Round(time.Second).String()+" ago (limit "+limit.String()+")")
			}
		}
	}
	if a.nc != nil && !a.nc.Connected() {
		reasons = append(reasons, "nats: not connected")
	}
	return reasons
}
