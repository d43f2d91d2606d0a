package app

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"slices"

	"notifier/internal/config"
	"notifier/internal/fleet"
	"notifier/internal/route"
)

// A reload applied in place. serve reads the file again at SIGHUP or POST /-/reload and
// gives it to Apply, which changes only what the new configuration changes: the poller of
// a project whose settings are the same goes on polling (its schedule, its backoff, its
// watchdog untouched), and so does the worker of a receiver whose settings are the same,
// with its backlog. What Apply cannot change in a running App — the state, the cluster,
// NATS, the logger, the request budgets, the discovery entries, or in nats-kv mode which
// shards hold a project (cluster_reload.go) — it reports as a RestartError, and serve
// restarts the App.

// RestartError is Apply's answer to a configuration that a running App cannot follow: Key
// names the first table or key that differs.
type RestartError struct{ Key string }

func (e *RestartError) Error() string {
	return e.Key + " changed: applied by restarting the notifier"
}

// Applied is what Apply changed, by project id and receiver name.
type Applied struct {
	// Unchanged: the configuration, and every secret and discovered project it names,
	// is the one running; nothing was touched.
	Unchanged bool
	Projects  Changes
	Receivers Changes
}

// Changes lists what a reload started, stopped and restarted (settings changed).
type Changes struct {
	Started, Stopped, Restarted []string
}

func (c Changes) none() bool {
	return len(c.Started)+len(c.Stopped)+len(c.Restarted) == 0
}

// Apply makes the running App follow cfg, read again at a reload, leaving what cfg does
// not change running. Nothing is changed when it returns an error: a RestartError (the
// change needs a new App), or what keeps cfg from running (an unset variable, an IAM
// answer that cannot be used...). Pollers of removed or changed projects are stopped,
// new ones started; a removed receiver's pending events are dropped for it with a
// warning, as at a start, and a changed one's are delivered by its new worker. Routes and
// maintenance windows apply to the events committed from then on.
func (a *App) Apply(ctx context.Context, cfg *config.Config) (Applied, error) {
	a.applyMu.Lock()
	defer a.applyMu.Unlock()
	if a.dryRun {
		return Applied{}, errors.New("a dry run applies no configuration")
	}
	old := a.cfg
	if key := restartKey(old, cfg); key != "" {
		return Applied{}, &RestartError{Key: key}
	}
	if fp, err := natsFingerprint(cfg, a.getenv); err != nil {
		return Applied{}, err
	} else if fp != a.natsFP {
		return Applied{}, &RestartError{Key: "a file or secret [nats] reads"}
	}
	p, err := a.prepare(ctx, cfg)
	if err != nil {
		return Applied{}, err
	}
	if p.changes.Projects.none() && p.changes.Receivers.none() && sameConfig(old, cfg) {
		p.discard()
		return Applied{Unchanged: true}, nil
	}
	if err := a.mode.apply(ctx, func(uc unitConfig) unitConfig {
		uc.cfg, uc.receivers, uc.routes, uc.everyProject = cfg, p.recv, p.routes, p.everyProject
		return uc
	}, p.projects); err != nil {
		p.discard()
		return Applied{}, err
	}
	replaced := slices.DeleteFunc(slices.Clone(a.recv), func(r receiver) bool {
		return slices.ContainsFunc(p.recv, func(n receiver) bool { return n.sink == r.sink })
	})
	a.mu.Lock()
	a.cfg, a.projects, a.recv = cfg, p.projects, p.recv
	a.mu.Unlock()
	a.fleet = p.fleet
	// The pollers of "auto" that run on see the projects added or removed.
	a.fleet.CountProjects()
	closeReceivers(replaced) // their workers are stopped
	p.discard()
	a.m.Keep(a.projectIDs())
	a.initSeries()
	return p.changes, nil
}

// plan is what a configuration needs in place of the running one's: built before
// anything stops, so that a configuration that cannot run changes nothing.
type plan struct {
	projects []project  // every project, the running ones kept as they are
	recv     []receiver // every receiver, the running ones kept as they are
	opened   []receiver // the receivers opened for the plan, used or not
	routes   *route.Table
	fleet    *fleet.Fleet
	changes  Applied
	// everyProject: every discovery listing succeeded, so the projects are all there is
	// to watch (unitConfig.everyProject).
	everyProject bool
}

// discard closes what the plan opened and does not use.
func (p *plan) discard() {
	closeReceivers(slices.DeleteFunc(p.opened, func(r receiver) bool {
		return slices.ContainsFunc(p.recv, func(n receiver) bool { return n.sink == r.sink })
	}))
	p.opened = nil
}

// prepare builds what cfg runs, compared with what runs: the projects (a reload lists
// the discovery entries again) and the receivers other than NATS, which a running App
// keeps.
func (a *App) prepare(ctx context.Context, cfg *config.Config) (*plan, error) {
	fl := a.newFleet(cfg)
	fl.Keep(a.fleet) // one budget per access key, old pollers and new alike
	for i, d := range a.disc {
		creds, err := fl.Credentials(cfg.DCS.DiscoverKeys(i))
		if err != nil {
			return nil, &SetupError{err}
		}
		if creds != d.Creds {
			return nil, &RestartError{Key: "the credential of " + d.Key}
		}
	}
	projects, err := configuredProjects(cfg, fl)
	if err != nil {
		return nil, err
	}
	projects, every, err := a.relist(ctx, cfg, fl, projects)
	if err != nil {
		return nil, err
	}
	a.spread(projects, fl, cfg.Poll.Interval.D())
	p := &plan{fleet: fl, everyProject: every}
	p.projects, p.changes.Projects = merge(a.projects, projects, cfg)
	if p.routes, err = route.New(cfg); err != nil {
		return nil, setupErr("%w", err)
	}
	p.routes = p.routes.WithSilences(a.sil.Set)
	var names []string
	for _, r := range cfg.Receivers() {
		if r.Name != config.NATSReceiver { // kept: its connection is the state's too
			names = append(names, r.Name)
		}
	}
	if len(names) > 0 {
		a.shared.useFleet(fl) // the new fleet keeps the budgets of the running one
		if p.opened, err = openSelected(cfg, a.log, a.getenv, names, a.shared, nil); err != nil {
			return nil, err
		}
	}
	p.recv, p.changes.Receivers = a.mergeReceivers(p.opened)
	return p, nil
}

// merge returns next, in its order, with each project whose settings are those of a
// running one replaced by the running one (its client, its start delay), and what
// changed.
func merge(running, next []project, cfg *config.Config) ([]project, Changes) {
	for i := range next {
		next[i].fp = next[i].fingerprint(cfg)
	}
	return keepUnchanged(running, next, func(p project) (string, string) { return p.cfg.ProjectID, p.fp })
}

// mergeReceivers returns the receivers to run: the running NATS one, then those opened,
// each replaced by the running one of its name when its settings are the same; and what
// changed.
func (a *App) mergeReceivers(opened []receiver) ([]receiver, Changes) {
	var nats, running []receiver
	for _, r := range a.recv {
		if r.sink.Name() == config.NATSReceiver {
			nats = append(nats, r)
		} else {
			running = append(running, r)
		}
	}
	kept, ch := keepUnchanged(running, opened, func(r receiver) (string, string) { return r.sink.Name(), r.fp })
	return append(nats, kept...), ch
}

// keepUnchanged returns next, in its order, with each entry replaced by the running one of
// the same key when their fingerprints agree, and what changed: entries restarted (same
// key, other fingerprint), started (new key) and stopped (a running key not in next).
func keepUnchanged[T any](running, next []T, id func(T) (key, fp string)) ([]T, Changes) {
	var ch Changes
	old := map[string]T{}
	for _, r := range running {
		k, _ := id(r)
		old[k] = r
	}
	out := make([]T, len(next))
	for i, n := range next {
		k, fp := id(n)
		if o, ok := old[k]; !ok {
			ch.Started = append(ch.Started, k)
		} else if _, ofp := id(o); ofp == fp {
			n = o
		} else {
			ch.Restarted = append(ch.Restarted, k)
		}
		delete(old, k)
		out[i] = n
	}
	ch.Stopped = slices.Sorted(maps.Keys(old))
	return out, ch
}

// restartKey names the first part of the configuration that differs between old and
// next and that a running App cannot change; "" when there is none.
func restartKey(old, next *config.Config) string {
	for _, c := range []struct {
		key  string
		same bool
	}{
		{"[state]", reflect.DeepEqual(old.State, next.State)},
		{"[cluster]", reflect.DeepEqual(old.Cluster, next.Cluster)},
		{"[nats]", reflect.DeepEqual(old.NATS, next.NATS)},
		{"[log]", reflect.DeepEqual(old.Log, next.Log)},
		{"dcs.max_requests_per_second", old.DCS.MaxRequestsPerSecond == next.DCS.MaxRequestsPerSecond},
		{"[[dcs.discover]]", reflect.DeepEqual(old.DCS.Discover, next.DCS.Discover)},
	} {
		if !c.same {
			return c.key
		}
	}
	return ""
}

// sameConfig reports whether two configurations are the same for an App: [http] is
// serve's, which binds the listener and answers POST /-/reload.
func sameConfig(a, b *config.Config) bool {
	x, y := *a, *b
	x.HTTP, y.HTTP = config.HTTP{}, config.HTTP{}
	return reflect.DeepEqual(x, y)
}

// SkipDrain makes the App's stop give the sinks no time to deliver: serve calls it
// before stopping an App for a reload, since the next App delivers what is pending first.
// The state is saved as at every stop.
func (a *App) SkipDrain() { a.quick.Store(true) }
