package app

import (
	"context"
	"maps"
	"slices"
	"time"

	"notifier/internal/config"
	"notifier/internal/dcs"
	"notifier/internal/fleet"
)

// The projects an App polls: those of dcs.projects, then those its [[dcs.discover]]
// entries find, as internal/fleet builds and assigns them (one client constructor, one
// budget per access key, one rule of which entry watches which project). They are listed
// at New (so at start and at every reload, relist) and again every refresh: a change asks
// for a reload (Deps.Rediscover).

// project is a configured or discovered project and its API client.
type project struct {
	cfg        config.Project
	client     dcs.Lister
	budget     *dcs.Budget     // its access key's, which client waits on
	pace       *fleet.Pace     // its budget's, for poll.interval = "auto"
	creds      dcs.Credentials // client's
	discovered bool            // found by [[dcs.discover]]: its first poll is always a silent baseline
	from       string          // the discovery entry that found it (dcs.discover[i]); "" when configured
	startDelay time.Duration   // before its first poll (fleet.Fleet.StartDelay)
	fp         string          // its settings as its poller uses them (fingerprint): a reload compares them
}

// newFleet is the fleet of a configuration, reading the App's environment.
func (a *App) newFleet(cfg *config.Config) *fleet.Fleet {
	return fleet.New(fleet.Options{DCS: cfg.DCS, Getenv: a.getenv, Transport: a.transport, Metrics: a.m})
}

// findProjects builds the fleet of cfg and the projects to poll: those of dcs.projects,
// then those the discovery entries list now.
func (a *App) findProjects(cfg *config.Config) (err error) {
	fl := a.newFleet(cfg)
	if a.projects, err = configuredProjects(cfg, fl); err != nil {
		return err
	}
	if a.disc, err = fl.Discoverers(); err != nil {
		return &SetupError{err}
	}
	if err := a.discover(cfg, fl); err != nil {
		return err
	}
	a.spread(a.projects, fl, cfg.Poll.Interval.D())
	a.fleet = fl
	a.shared.useFleet(fl)
	fl.CountProjects()
	for i := range a.projects {
		a.projects[i].fp = a.projects[i].fingerprint(cfg)
	}
	return nil
}

// configuredProjects builds the client of every dcs.projects entry, in order.
func configuredProjects(cfg *config.Config, fl *fleet.Fleet) ([]project, error) {
	var out []project
	for i, p := range cfg.DCS.Projects {
		keys := cfg.DCS.ProjectKeys(i)
		creds, err := fl.Credentials(keys)
		if err != nil {
			return nil, &SetupError{err}
		}
		c, err := fl.Client(p, creds, keys.Key)
		if err != nil {
			return nil, setupErr("dcs.projects[%d]: %w", i, err)
		}
		out = append(out, project{cfg: p, client: c, budget: c.Budget, pace: fl.Pace(c.Budget), creds: creds})
	}
	return out, nil
}

// newDiscovered builds the client of a project d found.
func newDiscovered(fl *fleet.Fleet, d *fleet.Discoverer, p config.Project) (project, error) {
	c, err := fl.Client(p, d.Creds, d.Key)
	if err != nil {
		return project{}, setupErr("%s: project %s: %w", d.Key, p.ProjectID, err)
	}
	return project{cfg: p, client: c, budget: c.Budget, pace: fl.Pace(c.Budget), creds: d.Creds, discovered: true, from: d.Key}, nil
}

// discover lists every entry's projects at New and adds those the discovery rule gives
// them (fleet.Claims). A listing that fails is logged and retried by the refresh loop:
// the other projects start meanwhile.
func (a *App) discover(cfg *config.Config, fl *fleet.Fleet) error {
	claims := fleet.NewClaims(cfg.DCS.Projects)
	lists := fleet.ListAll(context.Background(), a.disc, fleet.ListTimeout(cfg.DCS))
	for i, d := range a.disc {
		if err := lists[i].Err; err != nil {
			a.log.Error().Err(err).Str("discover", d.Key).
				Msg("cannot list the projects of this credential (IAM KeystoneListAuthProjects); its projects are not watched until a listing succeeds")
			continue
		}
		d.Record(lists[i], a.m)
		watch, _ := claims.Take(d, lists[i])
		for _, pc := range watch {
			p, err := newDiscovered(fl, d, pc)
			if err != nil {
				return err
			}
			a.projects = append(a.projects, p)
		}
		a.log.Info().Str("discover", d.Key).Int("projects", len(lists[i].Found)).Int("added", len(watch)).
			Msg("discovered the projects of this credential")
	}
	return nil
}

// relist adds to projects those of every discovery entry, listed again at a reload, by
// the same rule as at a start. An entry whose listing fails keeps the projects it found
// before: a reload never stops watching a project because IAM did not answer. every is
// false then: a project may be missing by chance.
func (a *App) relist(ctx context.Context, cfg *config.Config, fl *fleet.Fleet, projects []project) (_ []project, every bool, _ error) {
	if len(a.disc) == 0 {
		return projects, true, nil
	}
	every = true
	claims := fleet.NewClaims(cfg.DCS.Projects)
	lists := fleet.ListAll(ctx, a.disc, fleet.ListTimeout(cfg.DCS))
	for i, d := range a.disc {
		if err := lists[i].Err; err != nil {
			every = false
			a.log.Warn().Err(err).Str("discover", d.Key).
				Msg("reload: cannot list the projects of this credential (IAM); the projects it found before are still watched")
			for _, p := range a.projects {
				if p.from == d.Key && claims.Claim(p.cfg.ProjectID, d.Key) == "" {
					fl.Budget(p.creds, d.Key) // counted in its budget's share
					projects = append(projects, p)
				}
			}
			continue
		}
		d.Record(lists[i], a.m)
		watch, _ := claims.Take(d, lists[i])
		for _, pc := range watch {
			p, err := newDiscovered(fl, d, pc)
			if err != nil {
				return nil, false, err
			}
			projects = append(projects, p)
		}
	}
	return projects, every, nil
}

// spread sets every project's start delay from its budget's share, and warns of a budget
// too small for its projects.
func (a *App) spread(projects []project, fl *fleet.Fleet, interval time.Duration) {
	for i := range projects {
		if p := &projects[i]; p.budget != nil {
			p.startDelay = fl.StartDelay(p.cfg.ProjectID, p.budget, interval)
		}
	}
	fl.WarnPace(a.log, interval)
}

// refreshDiscovery lists every entry again each refresh until ctx is done, and asks for
// a reload when what one finds changed (fleet.Refresh).
func (a *App) refreshDiscovery(ctx context.Context) {
	fleet.Refresh(ctx, a.disc, fleet.RefreshOptions{Log: a.log, Metrics: a.m, Changed: a.rediscovered,
		Timeout: func() time.Duration { return fleet.ListTimeout(a.config().DCS) }})
}

// discovered reports whether every [[dcs.discover]] entry listed its projects at New:
// only then are the projects watched all there is to watch.
func (a *App) discovered() bool {
	for _, d := range a.disc {
		if d.Known() == nil {
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
