package app

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"notifier/internal/config"
	"notifier/internal/diff"
	"notifier/internal/event"
	"notifier/internal/poller"
	"notifier/internal/sinks/alertmanager"
	"notifier/internal/status"
)

// StatusPage gathers what the status page shows (internal/web serves it). It reads the
// ledgers' memory, the pollers and the recorder, never the state file; in nats-kv mode it
// also reads the shards' leases (bounded by leaseTimeout).
func (a *App) StatusPage(ctx context.Context, now time.Time) *status.Page {
	a.mu.RLock() // a reload may replace the projects and receivers
	defer a.mu.RUnlock()
	p := &status.Page{GeneratedAt: now.UTC(), Version: a.version, Backend: a.cfg.State.Backend,
		Projects: []status.Project{}, RunningTasks: []status.Task{}, RecentEvents: a.rec.Recent(), Receivers: a.receiverPage(),
		Silences: a.sil.Set().Active(now)}
	pollers := map[string]*poller.Poller{}
	units := map[string]*unit{}
	for _, u := range a.mode.units() {
		for _, pl := range u.pollerList() {
			pollers[pl.ProjectID()], units[pl.ProjectID()] = pl, u
		}
	}
	limit := 3 * a.cfg.Poll.Interval.D()
	for _, pr := range a.projects {
		c := pr.cfg
		sp := status.Project{Name: c.Name, ID: c.ProjectID, Region: c.Region, WindowParam: a.cfg.DCS.StartTimeParam}
		if pl := pollers[c.ProjectID]; pl != nil {
			sp.Polled = true
			sp.WindowParam = pl.WindowParam() // under "auto", what was learned (from the state, after a restart or a take-over)
			sp.WindowLearned = pl.WindowLearned()
			if t := pl.LastSuccess(); !t.IsZero() {
				sp.LastSuccess, sp.Up = ptr(t.UTC()), now.Sub(t) <= limit
			}
			if f := pl.LastFailure(); f != nil {
				sp.LastError, sp.LastErrorAt = f.Reason, ptr(f.At.UTC())
			}
			sp.RequestsPerPoll = pl.RequestsPerPoll()
			sp.IdleIntervalSeconds = math.Round(pl.IdleInterval().Seconds()*10) / 10
			sp.IdleIntervalAuto = a.cfg.Poll.Interval.Auto
			st := units[c.ProjectID].ledger.Project(c.ProjectID)
			if since, reason, ok := pl.Blindness(); ok { // from the watchdog's deadline
				sp.BlindSince, sp.BlindReason = ptr(since.UTC()), reason
			}
			p.RunningTasks = append(p.RunningTasks, a.runningTasks(c, st, now)...)
		}
		p.Projects = append(p.Projects, sp)
	}
	statuses := event.NewStatuses(a.cfg.Poll.TerminalStatuses)
	for i := range p.RecentEvents { // Recent returns copies
		if e := &p.RecentEvents[i]; e.Status != "" {
			e.UnknownStatus = !statuses.Known(e.Status)
		}
	}
	if k, ok := a.mode.(*kvMode); ok {
		p.Cluster = k.clusterPage(ctx, now)
	}
	return p
}

// runningTasks lists a project's followed tasks not yet terminal, oldest first, with the
// stuck threshold the diff applies to each.
func (a *App) runningTasks(c config.Project, st *diff.ProjectState, now time.Time) []status.Task {
	if st == nil {
		return nil
	}
	terminal := event.NewStatuses(a.cfg.Poll.TerminalStatuses)
	policy := stuckPolicy(a.cfg.Stuck)
	project := c.Name
	if project == "" {
		project = c.ProjectID
	}
	var out []status.Task
	for id, t := range st.Tasks.All() { // by id
		if terminal.IsTerminal(t.Status) {
			continue
		}
		created := time.UnixMilli(t.Created).UTC()
		running := now.Sub(created)
		limit, source := policy.Threshold(t.Name, st.Durations[t.Name])
		out = append(out, status.Task{
			ProjectID: c.ProjectID, Project: project, ID: id, Name: t.Name, Label: event.Label(t.Name),
			Instance: a.rec.Instance(id), Status: t.Status, UnknownStatus: !terminal.Known(t.Status), CreatedAt: created,
			RunningSeconds: int64(running / time.Second), ThresholdSeconds: int64(limit / time.Second),
			ThresholdSource: source, Stuck: t.Stuck || (limit > 0 && running > limit),
		})
	}
	slices.SortStableFunc(out, func(x, y status.Task) int { return x.CreatedAt.Compare(y.CreatedAt) })
	return out
}

func ptr[T any](v T) *T { return &v }

// receiverPage lists the receivers in the order of the config, with their pending events
// summed over the units this replica runs.
func (a *App) receiverPage() []status.Receiver {
	out := make([]status.Receiver, 0, len(a.recv))
	for i, rs := range a.receiverStatus() {
		r := status.Receiver{Name: rs.Name, Kind: a.recv[i].kind, Pending: rs.Pending}
		ok, msg, at := a.rec.ReceiverState(rs.Name)
		if !ok.IsZero() {
			r.LastSuccess = ptr(ok.UTC())
		}
		if msg != "" {
			r.LastError, r.LastErrorAt = msg, ptr(at.UTC())
		}
		if am, ok := a.recv[i].sink.(*alertmanager.Sink); ok {
			for _, f := range am.FailingURLs() {
				r.FailingURLs = append(r.FailingURLs, status.FailingURL{URL: f.URL, Error: status.ErrorClass(f.Err), Since: ptr(f.Since.UTC())})
			}
		}
		out = append(out, r)
	}
	return out
}

// leaseTimeout bounds the reading of the leases for one page.
const leaseTimeout = time.Second

// clusterPage is every shard's lease: its holder read from the lease bucket, and how
// long ago it was won or renewed.
func (k *kvMode) clusterPage(ctx context.Context, now time.Time) *status.Cluster {
	uc := k.conf()
	c := &status.Cluster{Holder: k.holder, LeaseTTLSeconds: uc.cfg.State.LeaseTTL.D().Seconds()}
	k.mu.Lock()
	kv := k.leaseKV
	c.Members = k.members
	k.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, leaseTimeout)
	defer cancel()
	for _, s := range k.status() {
		sh := status.Shard{Shard: s.Shard, Projects: slices.Clone(s.Projects), ThisReplica: s.Leader}
		if s.Leader {
			sh.Leader, sh.Term = k.holder, s.Term
		}
		if kv != nil && len(s.Projects) > 0 {
			e, err := kv.Get(ctx, "shard-"+strconv.Itoa(s.Shard))
			switch {
			case err == nil:
				sh.Leader = string(e.Value())
				sh.LeaseAgeSeconds = ptr(now.Sub(e.Created()).Seconds())
			case !errors.Is(err, jetstream.ErrKeyNotFound):
				uc.log.Debug().Err(err).Int("shard", s.Shard).Msg("status page: cannot read the lease")
			}
		}
		c.Shards = append(c.Shards, sh)
	}
	return c
}
