package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"

	"notifier/internal/config"
	"notifier/internal/dcs"
	"notifier/internal/poller"
	"notifier/internal/route"
	"notifier/internal/sinks"
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
	a.budgets = p.budgets
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
	budgets  map[string]*dcs.Budget
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
	fl := newFleet(cfg.DCS, a.getenv, a.m)
	maps.Copy(fl.budgets, a.budgets) // one budget per access key, old pollers and new alike
	for i, d := range a.disc {
		creds, err := fl.credentials(cfg.DCS.DiscoverKeys(i))
		if err != nil {
			return nil, err
		}
		if creds != d.creds {
			return nil, &RestartError{Key: "the credential of " + d.key}
		}
	}
	projects, err := configuredProjects(cfg, fl, a.transport)
	if err != nil {
		return nil, err
	}
	projects, every, err := a.relist(ctx, cfg, fl, projects)
	if err != nil {
		return nil, err
	}
	spread(a.log, projects, fl, cfg.DCS.MaxRequestsPerSecond, cfg.Poll.Interval.D())
	p := &plan{budgets: fl.budgets, everyProject: every}
	p.projects, p.changes.Projects = merge(a.projects, projects, cfg)
	if p.routes, err = route.New(cfg); err != nil {
		return nil, setupErr("%w", err)
	}
	var names []string
	for _, r := range cfg.Receivers() {
		if r.Kind != "nats" {
			names = append(names, r.Name)
		}
	}
	if len(names) > 0 {
		if p.opened, _, err = openSelected(cfg, a.log, a.getenv, names, a.paces); err != nil {
			return nil, err
		}
	}
	p.recv, p.changes.Receivers = a.mergeReceivers(p.opened)
	return p, nil
}

// relist adds to projects those of every discovery entry, listed again (as at a
// start, an explicit project wins, and between entries the first). An entry whose
// listing fails keeps the projects it found before: a reload never stops watching a
// project because IAM did not answer. every is false then: a project may be missing by
// chance.
func (a *App) relist(ctx context.Context, cfg *config.Config, fl *fleet, projects []project) (_ []project, every bool, _ error) {
	if len(a.disc) == 0 {
		return projects, true, nil
	}
	every = true
	seen := map[string]bool{}
	for _, p := range projects {
		seen[p.cfg.ProjectID] = true
	}
	lists := listAll(ctx, a.disc, 2*cfg.DCS.RequestTimeout.D())
	for i, d := range a.disc {
		if err := lists[i].err; err != nil {
			every = false
			a.log.Warn().Err(err).Str("discover", d.key).
				Msg("reload: cannot list the projects of this credential (IAM); the projects it found before are still watched")
			for _, p := range a.projects {
				if p.from == d.key && !seen[p.cfg.ProjectID] {
					seen[p.cfg.ProjectID] = true
					fl.budget(p.creds, d.key) // counted in its budget's share
					projects = append(projects, p)
				}
			}
			continue
		}
		d.setKnown(ids(lists[i].found))
		a.m.Discovered.WithLabelValues(d.key).Set(float64(len(lists[i].found)))
		for _, found := range lists[i].found {
			if seen[found.ID] {
				continue
			}
			seen[found.ID] = true
			p, err := d.project(cfg, found, fl, a.transport)
			if err != nil {
				return nil, false, err
			}
			projects = append(projects, p)
		}
	}
	return projects, every, nil
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
		if r.kind == "nats" {
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

// fingerprint is a digest of what a component is built from, to tell at a reload
// whether it changed. Secrets go in revealed (the digest never leaves the process and is
// never logged); a part that cannot be encoded makes a digest that matches nothing.
func fingerprint(parts ...any) string {
	h := sha256.New()
	for _, p := range parts {
		b, err := json.Marshal(p)
		if err != nil {
			return fmt.Sprintf("unencodable %p", &b)
		}
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fileDigest is a digest of the files a component reads when it is built (a CA
// bundle, NATS credentials), so that a reload after one was replaced rebuilds it. A
// file that cannot be read digests as its error.
func fileDigest(paths ...string) string {
	h := sha256.New()
	for _, p := range paths {
		if p == "" {
			h.Write([]byte{0})
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			b = []byte(err.Error())
		}
		s := sha256.Sum256(b)
		h.Write(s[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fingerprint is the project's settings as its poller and client use them.
func (p project) fingerprint(cfg *config.Config) string {
	d := cfg.DCS
	d.Projects, d.Discover = nil, nil
	return fingerprint(p.cfg, p.discovered, p.creds.AK.Reveal(), p.creds.SK.Reveal(), p.creds.SecurityToken.Reveal(),
		d, cfg.Poll, cfg.Stuck)
}

// sharedInputs are the settings outside its own entry that a receiver other than NATS is
// built from: the terminal statuses and how long a task is followed ([poll]), the
// links, and the maintenance windows.
func sharedInputs(cfg *config.Config) string {
	return fingerprint(cfg.Poll, cfg.Slack.Links, cfg.Mute)
}

// natsFingerprint is what the NATS sink is opened from beyond [nats] itself: the secrets
// and files it reads. "" without NATS.
func natsFingerprint(cfg *config.Config, getenv func(string) string) (string, error) {
	n := cfg.NATS
	if n.URL == "" {
		return "", nil
	}
	var auth config.NATSAuth
	if n.CredsFile == "" && n.NKeySeedFile == "" {
		var err error
		if auth, err = n.ReadAuth(getenv); err != nil {
			return "", &SetupError{err}
		}
	}
	return fingerprint(auth.Token.Reveal(), auth.User.Reveal(), auth.Password.Reveal(),
		fileDigest(n.CredsFile, n.NKeySeedFile, n.TLSCAFile, n.TLSCertFile, n.TLSKeyFile)), nil
}

// apply makes the unit poll projects and deliver to c.receivers, as a reload asks,
// without stopping what did not change: the poller of a project whose settings (fp) are
// the same goes on, and so does the worker of a receiver whose sink is the same. The
// others stop (each waited for, one request or one send at most), and the new ones start
// when the unit runs. The ledger keeps every receiver's backlog and memory, but a
// removed one's. Nothing changes when a poller cannot be built.
func (u *unit) apply(c unitConfig, projects []project) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	byID := make(map[string]*poller.Poller, len(u.pollers))
	for _, p := range u.pollers {
		byID[p.ProjectID()] = p
	}
	pollers := make([]*poller.Poller, 0, len(projects))
	built := map[*poller.Poller]*running{}
	for _, p := range projects {
		if pl := byID[p.cfg.ProjectID]; pl != nil && u.polling[pl].fp == p.fp {
			pollers = append(pollers, pl)
			continue
		}
		pl, err := c.newPoller(p, u.ledger)
		if err != nil {
			return err
		}
		pollers = append(pollers, pl)
		built[pl] = &running{fp: p.fp}
	}
	for _, p := range u.pollers {
		if !slices.Contains(pollers, p) {
			u.stopPoller(p)
			delete(u.polling, p)
		}
	}
	maps.Copy(u.polling, built)
	u.pollers = pollers

	bySink := map[sinks.Sink]*worker{}
	for _, w := range u.workers {
		bySink[w.sink] = w
	}
	workers := make([]*worker, 0, len(c.receivers))
	maxPending := map[string]int{}
	for _, r := range c.receivers {
		w := bySink[r.sink]
		if w == nil {
			w = c.newWorker(r.sink, u.ledger)
		}
		workers = append(workers, w)
		maxPending[r.sink.Name()] = r.maxPending
	}
	for _, w := range u.workers {
		if !slices.Contains(workers, w) && w.stop != nil {
			w.stop()
			w.stop = nil
		}
	}
	names := c.receiverNames()
	var watching []string // nil: every project counts as watched
	if c.everyProject {
		watching = make([]string, len(projects))
		for i, p := range projects {
			watching[i] = p.cfg.ProjectID
		}
	}
	// What receivers hold for a project no longer polled, they end at their next tick.
	u.ledger.SetWatching(watching)
	removed, forgot, err := u.ledger.SetReceivers(context.Background(), names, maxPending)
	if err != nil {
		u.log.Warn().Err(err).Msg("reload: saving the state failed; the change is saved with the next save")
	}
	c.reportRemoved(removed, forgot)
	u.names.Store(&names)
	u.mr.setRules(c.routes)
	u.workers = workers
	for _, w := range workers {
		u.startWorker(w) // the running ones run on
	}
	for _, p := range pollers {
		u.startPoller(p)
	}
	u.drain = c.cfg.Shutdown.Timeout.D()
	return nil
}

// SkipDrain makes the App's stop give the sinks no time to deliver: serve calls it
// before stopping an App for a reload, since the next App delivers what is pending first.
// The state is saved as at every stop.
func (a *App) SkipDrain() { a.quick.Store(true) }
