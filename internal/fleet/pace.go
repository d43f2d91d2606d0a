package fleet

import (
	"math"
	"sync/atomic"
	"time"

	"notifier/internal/config"
	"notifier/internal/dcs"
)

// Pace is the idle interval of poll.interval = "auto" for the projects of one access key:
// the shortest that poll.auto_budget_share of the key's budget allows across its
// projects, never below config.AutoIntervalMin nor above config.AutoIntervalMax.
//
// The budget sustains dcs.MeanRate(dcs.max_requests_per_second) requests a second (8.7
// at the default 10); its share (0.2) is what the key's idle polls may use, 1.74 a second.
// Each of the key's N projects gets an equal part of it, so a project whose poll makes r
// requests (pages) polls every r × N ÷ (share × mean rate): 1 project of one page, 0.57 s,
// held to 1 s; 300 projects, 172 s, held to 30 s. A project of more pages polls less often,
// and the key's idle polls together stay within the share whatever their pages.
//
// A Fleet gives each budget one Pace and a reload keeps it with the budget (Keep), so the
// pollers that run on through a reload see the new count of projects (CountProjects),
// such as the projects a discovery found since.
type Pace struct {
	meanRate float64 // of the budget, requests a second
	projects atomic.Int64
}

// Projects returns how many projects the pace is shared by (at least 1).
func (p *Pace) Projects() int { return int(max(p.projects.Load(), 1)) }

// Interval returns the idle interval of one of the pace's projects whose polls make
// requests requests, under share (poll.auto_budget_share).
func (p *Pace) Interval(share float64, requests int) time.Duration {
	return AutoInterval(p.Projects(), requests, share, p.meanRate)
}

// AutoInterval is the idle interval of poll.interval = "auto" for a project whose polls
// make requests requests, on an access key of projects projects whose budget sustains
// meanRate requests a second, of which share is for idle polls: requests × projects ÷
// (share × meanRate), at least config.AutoIntervalMin and at most config.AutoIntervalMax.
func AutoInterval(projects, requests int, share, meanRate float64) time.Duration {
	secs := float64(max(projects, 1)) * float64(max(requests, 1)) / (share * meanRate)
	if math.IsNaN(secs) || secs >= config.AutoIntervalMax.Seconds() {
		return config.AutoIntervalMax
	}
	return max(time.Duration(secs*float64(time.Second)), config.AutoIntervalMin)
}

// Pace returns the Pace of budget b (one the fleet handed out), nil for another.
func (f *Fleet) Pace(b *dcs.Budget) *Pace { return f.paces[b] }

// CountProjects makes each budget's Pace count the projects this fleet polls with it: the
// fleet that becomes the running one calls it (at start, and when a reload is applied).
func (f *Fleet) CountProjects() {
	for b, n := range f.members {
		if p := f.paces[b]; p != nil {
			p.projects.Store(int64(n))
		}
	}
}
