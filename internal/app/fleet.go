package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/config"
	"notifier/internal/dcs"
	"notifier/internal/metrics"
	"notifier/internal/retry"
)

// Many accounts, many projects: every project is polled with its credential (its own, the
// [dcs] one, or its discovery entry's), and every request of one access key waits on that
// key's Budget (dcs.max_requests_per_second), whatever project it is for. Projects of
// [[dcs.discover]] entries are listed with IAM at New (so at start and at every reload)
// and again every refresh: a change asks for a reload (Deps.Rediscover), which builds the
// App again with the new list.

// fleet reads each credential once and hands out one Budget per access key.
type fleet struct {
	cfg     config.DCS
	m       *metrics.Metrics
	getenv  func(string) string
	creds   map[string]dcs.Credentials // by CredentialKeys.Key
	budgets map[string]*dcs.Budget     // by a hash of the access key (never the key itself)
	members map[*dcs.Budget]int        // projects polled with each budget
}

func newFleet(cfg config.DCS, getenv func(string) string, m *metrics.Metrics) *fleet {
	return &fleet{cfg: cfg, getenv: getenv, m: m, creds: map[string]dcs.Credentials{},
		budgets: map[string]*dcs.Budget{}, members: map[*dcs.Budget]int{}}
}

// credentials reads the credential of k once; the error names k's keys, never a value.
func (f *fleet) credentials(k config.CredentialKeys) (dcs.Credentials, error) {
	if c, ok := f.creds[k.Key]; ok {
		return c, nil
	}
	c, err := k.Read(f.getenv)
	if err != nil {
		return c, &SetupError{err}
	}
	f.creds[k.Key] = c
	return c, nil
}

// budget returns the Budget of c's access key, counting one more project on it; key is
// where the credential is configured, which names it in the throttling metric (the first
// key of an access key used by several).
func (f *fleet) budget(c dcs.Credentials, key string) *dcs.Budget {
	sum := sha256.Sum256([]byte(c.AK.Reveal()))
	id := hex.EncodeToString(sum[:8])
	b, ok := f.budgets[id]
	if !ok {
		throttled := f.m.Throttled.WithLabelValues(key)
		b = dcs.NewBudget(dcs.BudgetOptions{PerSecond: f.cfg.MaxRequestsPerSecond, OnThrottle: throttled.Inc})
		f.budgets[id] = b
	}
	f.members[b]++
	return b
}

// startDelay spreads the first polls of a budget's projects: each waits a fraction of
// spread fixed by its id (the same at every start), where spread is the time the budget
// needs to poll all of them once, never more than interval. No thundering herd, and a
// single project starts at once.
func startDelay(projectID string, members int, perSecond float64, interval time.Duration) time.Duration {
	spread := min(interval, time.Duration(float64(members)/perSecond*float64(time.Second)))
	if members <= 1 || spread <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(projectID))
	return time.Duration(float64(h.Sum64()>>11) / float64(1<<53) * float64(spread))
}

// discoverer is one [[dcs.discover]] entry with its IAM client.
type discoverer struct {
	key   string // dcs.discover[i], for logs
	entry config.Discover
	creds dcs.Credentials
	iam   dcs.ProjectLister
	known []string // the project ids it found at New, sorted; nil when that listing failed
}

// newDiscoverers builds the IAM client of every discovery entry.
func newDiscoverers(cfg *config.Config, fl *fleet, tr http.RoundTripper) ([]*discoverer, error) {
	var out []*discoverer
	for i, e := range cfg.DCS.Discover {
		key := fmt.Sprintf("dcs.discover[%d]", i)
		creds, err := fl.credentials(cfg.DCS.DiscoverKeys(i))
		if err != nil {
			return nil, err
		}
		c, err := dcs.NewIAMClient(dcs.IAMOptions{Endpoint: dcs.IAMEndpoint(e.Regions, e.IAMEndpoint), Credentials: creds,
			Timeout: cfg.DCS.RequestTimeout.D(), Transport: tr})
		if err != nil {
			return nil, setupErr("%s: %w", key, err)
		}
		out = append(out, &discoverer{key: key, entry: e, creds: creds, iam: c})
	}
	return out, nil
}

// list asks IAM for the entry's projects and keeps those to watch.
func (d *discoverer) list(ctx context.Context, timeout time.Duration) ([]dcs.Discovered, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ps, err := d.iam.ListProjects(ctx)
	if err != nil {
		return nil, err
	}
	return dcs.Watchable(ps, d.entry.Regions), nil
}

type listing struct {
	found []dcs.Discovered
	err   error
}

// listAll lists every entry at once, so that a slow IAM endpoint delays a start or a
// reload by one timeout, not by one per entry. The results are in the entries' order.
func listAll(ctx context.Context, ds []*discoverer, timeout time.Duration) []listing {
	out := make([]listing, len(ds))
	var wg sync.WaitGroup
	for i, d := range ds {
		wg.Go(func() { out[i].found, out[i].err = d.list(ctx, timeout) })
	}
	wg.Wait()
	return out
}

// name is what alerts call a discovered project: the IAM name, after the entry's prefix.
func (d *discoverer) name(p dcs.Discovered) string {
	if d.entry.Name == "" {
		return p.Name
	}
	return d.entry.Name + "/" + p.Name
}

func ids(ps []dcs.Discovered) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	slices.Sort(out)
	return out
}

// discover lists every entry's projects at New and adds those not configured already
// (an explicit dcs.projects entry wins; between entries, the first). A listing that fails
// is logged and retried by the refresh loop: the other projects start meanwhile.
func (a *App) discover(cfg *config.Config, fl *fleet, tr http.RoundTripper) error {
	seen := map[string]bool{}
	for _, p := range a.projects {
		seen[p.cfg.ProjectID] = true
	}
	lists := listAll(context.Background(), a.disc, 2*cfg.DCS.RequestTimeout.D())
	for i, d := range a.disc {
		found, err := lists[i].found, lists[i].err
		if err != nil {
			a.log.Error().Err(err).Str("discover", d.key).
				Msg("cannot list the projects of this credential (IAM KeystoneListAuthProjects); its projects are not watched until a listing succeeds")
			continue
		}
		d.known = ids(found)
		a.m.Discovered.WithLabelValues(d.key).Set(float64(len(found)))
		added := 0
		for _, p := range found {
			if seen[p.ID] {
				continue
			}
			seen[p.ID] = true
			c, err := dcs.NewClient(dcs.Options{
				Region: p.Region, ProjectID: p.ID, Endpoint: d.entry.Endpoint, Credentials: d.creds,
				Timeout: cfg.DCS.RequestTimeout.D(), MaxBodyBytes: cfg.DCS.MaxBodyBytes,
				StartParam: cfg.DCS.ClientStartParam(), InsecureSkipVerify: cfg.DCS.InsecureSkipVerify, Transport: tr,
			})
			if err != nil {
				return setupErr("%s: project %s: %w", d.key, p.ID, err)
			}
			b := fl.budget(d.creds, d.key)
			a.projects = append(a.projects, project{
				cfg:    config.Project{Name: d.name(p), Region: p.Region, ProjectID: p.ID, Endpoint: d.entry.Endpoint},
				client: dcs.Budgeted{Lister: c, Budget: b}, budget: b, discovered: true,
			})
			added++
		}
		a.log.Info().Str("discover", d.key).Int("projects", len(found)).Int("added", added).
			Msg("discovered the projects of this credential")
	}
	return nil
}

// spread sets every project's start delay from its budget's share.
// The budget's mean rate is below perSecond (its window's margin, dcs.MeanRate).
func (a *App) spread(fl *fleet, perSecond float64, interval time.Duration) {
	mean := dcs.MeanRate(perSecond)
	for i := range a.projects {
		p := &a.projects[i]
		if p.budget != nil {
			p.startDelay = startDelay(p.cfg.ProjectID, fl.members[p.budget], mean, interval)
		}
	}
	for _, n := range fl.members {
		// One page per poll: the budget cannot keep up when projects/interval exceeds it.
		if need := float64(n) / interval.Seconds(); need > mean {
			a.log.Warn().Int("projects", n).Float64("requests_per_second_needed", need).Float64("budget", perSecond).
				Float64("budget_mean_rate", mean).
				Msg("dcs.max_requests_per_second is too low for poll.interval with this many projects on one access key: polls will be further apart than the interval")
		}
	}
}

// refreshDiscovery lists every entry again each refresh (sooner, with backoff, while an
// entry's listing fails) and calls changed once when a set of projects to watch differs
// from the one New started with. It returns when ctx is done, or after changed.
func (a *App) refreshDiscovery(ctx context.Context, changed func()) {
	if len(a.disc) == 0 {
		return
	}
	every := a.disc[0].entry.Refresh.D()
	for _, d := range a.disc {
		every = min(every, d.entry.Refresh.D())
	}
	b := retry.New(5*time.Second, min(every, 5*time.Minute))
	wait := every
	for _, d := range a.disc {
		if d.known == nil {
			wait = b.NextBackOff() // a listing failed at New: try again soon
		}
	}
	for {
		if retry.Sleep(ctx, wait) != nil {
			return
		}
		diff, failed := a.rediscover(ctx, a.log)
		if diff != "" {
			a.log.Info().Str("discover", diff).Msg("the discovered projects changed: reloading to apply")
			changed()
			return
		}
		wait = every
		if failed {
			wait = b.NextBackOff()
		} else {
			b.Reset()
		}
	}
}

// rediscover lists every entry once; it returns the key of the first entry whose projects
// changed ("" for none), and whether a listing failed.
func (a *App) rediscover(ctx context.Context, log zerolog.Logger) (string, bool) {
	failed := false
	lists := listAll(ctx, a.disc, 2*a.cfg.DCS.RequestTimeout.D())
	for i, d := range a.disc {
		found, err := lists[i].found, lists[i].err
		if err != nil {
			if ctx.Err() == nil {
				failed = true
				log.Warn().Err(err).Str("discover", d.key).Msg("listing the projects of this credential failed; the projects watched stay as they are")
			}
			continue
		}
		a.m.Discovered.WithLabelValues(d.key).Set(float64(len(found)))
		if got := ids(found); d.known == nil || !slices.Equal(got, d.known) {
			if d.known == nil && len(got) == 0 {
				d.known = got
				continue
			}
			return d.key, failed
		}
	}
	return "", failed
}

// discovered reports whether every [[dcs.discover]] entry listed its projects at New: only
// then are the projects watched all there is to watch.
func (a *App) discovered() bool {
	for _, d := range a.disc {
		if d.known == nil {
			return false
		}
	}
	return true
}

// discoveredIDs are the ids of the projects discovery added, sorted, for tests and logs.
func (a *App) discoveredIDs() []string {
	set := map[string]bool{}
	for _, p := range a.projects {
		if p.discovered {
			set[p.cfg.ProjectID] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// rediscovered asks for the reload that applies a changed discovery.
func (a *App) rediscovered() {
	if a.redisc == nil {
		a.log.Warn().Msg("the discovered projects changed; they apply at the next reload (SIGHUP or POST /-/reload)")
		return
	}
	a.redisc()
}
