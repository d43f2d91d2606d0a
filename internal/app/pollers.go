package app

import (
	"time"

	"notifier/internal/config"
	"notifier/internal/diff"
	"notifier/internal/event"
	"notifier/internal/poller"
	"notifier/internal/state"
)

// What a unit's pollers are built from: the [poll], [dcs] and [stuck] tables, and each
// project's client and start delay.

// stuckPolicy is the [stuck] table as the diff uses it.
func stuckPolicy(s config.Stuck) diff.StuckPolicy {
	after := make(map[string]time.Duration, len(s.After))
	for name, d := range s.After {
		after[name] = d.D()
	}
	return diff.StuckPolicy{After: after, Factor: s.Factor, MinSamples: s.MinSamples, MinAfter: s.MinAfter.D(), DefaultAfter: s.DefaultAfter.D()}
}

// sharedPolicy is the part of a project's diff policy that comes from the configuration
// alone: the pollers of a configuration share it (it is only read).
type sharedPolicy struct {
	terminal event.Statuses
	stuck    diff.StuckPolicy
}

func newSharedPolicy(cfg *config.Config) *sharedPolicy {
	return &sharedPolicy{terminal: event.NewStatuses(cfg.Poll.TerminalStatuses), stuck: stuckPolicy(cfg.Stuck)}
}

func (c unitConfig) newPoller(p project, ledger *state.Ledger) (*poller.Poller, error) {
	pc := c.cfg.Poll
	shared := c.policy
	if shared == nil {
		shared = newSharedPolicy(c.cfg)
	}
	terminal := shared.terminal
	id := p.cfg.ProjectID
	// The project's series exist from the start (App.initSeries); what the saved state
	// knows of it is set here, and again at every takeover of its shard.
	c.m.InitProject(id)
	setFromState(c.m, id, ledger.Project(id), terminal)
	var idle func(int) time.Duration
	if pc.Interval.Auto && p.pace != nil {
		share := pc.AutoBudgetShare
		idle = func(requests int) time.Duration { return p.pace.Interval(share, requests) }
	}
	return poller.New(poller.Options{
		Policy: diff.Policy{
			ProjectID: id, ProjectName: p.cfg.Name, Region: p.cfg.Region, Lookback: pc.Lookback.D(), Margin: pc.SafetyMargin.D(),
			Terminal: terminal, Notify: pc.Initial == "notify" && !p.discovered, MaxFollow: pc.MaxFollow.D(),
			Stuck: shared.stuck, GapAfter: pc.GapAfter.D(),
			SaveLastOK: c.saveLastOK(),
		},
		PageSize: c.cfg.DCS.PageSize, Interval: pc.Interval.D(), IdleInterval: idle, ActiveInterval: pc.ActiveInterval.D(),
		FastInterval: pc.FastInterval.D(), MaxBackoff: pc.MaxBackoff.D(), WindowParam: c.cfg.DCS.StartTimeParam,
		StartDelay: p.startDelay,
		Lister:     p.client, Ledger: ledger, Metrics: c.m,
		Log: c.log.With().Str("project", id).Str("region", p.cfg.Region).Logger(),
	})
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
