// Package app is the notifier's lifecycle: it builds the components — the state, one
// poller per project (internal/fleet finds the projects and their clients), the NATS
// connection and the receivers, and with the nats-kv backend leader election — runs them,
// applies a reload, and stops them. It never touches signals, os.Exit or a listener:
// internal/web serves its status (Readiness, Liveness, StatusPage, Registry), so tests
// and the demo drive it exactly as the command does.
//
// Reading order: New (app.go) builds every component; Run (run.go) starts them as one
// group and stops them together; Apply (reload.go) applies a reload in place; a mode
// (mode.go: file, cluster.go: nats-kv) runs the units (unit.go) that poll and deliver;
// projects.go lists the projects, receivers.go opens the sinks.
package app

import (
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/config"
	"notifier/internal/fleet"
	"notifier/internal/metrics"
	"notifier/internal/natsconn"
	"notifier/internal/route"
	"notifier/internal/status"
)

// Deps are what the app takes from its surroundings.
type Deps struct {
	Log      zerolog.Logger
	Getenv   func(string) string  // default os.Getenv
	Registry *prometheus.Registry // default a new registry
	// Metrics, when set, are the metrics to count in, registered on Registry: a process
	// that rebuilds its App at a reload passes the same ones to every App, so that no
	// counter restarts from 0 (registering twice would panic). Nil: new ones on Registry.
	Metrics    *metrics.Metrics
	Commit     string            // the build's commit, for the start line
	ConfigPath string            // the file the configuration came from, for the start line
	Transport  http.RoundTripper // DCS API transport; nil: the default one
	Version    string
	DryRun     bool // connect no sink, refuse nats-kv: for once --dry-run
	// Status records the recent events shown on the status page; pass the same one to
	// the App of every configuration so that a reload keeps them. Default a new one.
	Status *status.Recorder
	// Rediscover is called (once per App) when a refresh of [[dcs.discover]] finds the
	// projects to watch changed: serve reloads, which builds the App with the new list.
	// Nil: the change is logged and applies at the next reload.
	Rediscover func()
	// Now is the clock maintenance windows ([[mute]]) are decided by, at commit. nil: time.Now.
	Now func() time.Time
}

// SetupError is a problem with the configuration or the environment found while
// starting: the command exits 2 for it.
type SetupError struct{ Err error }

func (e *SetupError) Error() string { return e.Err.Error() }
func (e *SetupError) Unwrap() error { return e.Err }

func setupErr(format string, a ...any) error { return &SetupError{fmt.Errorf(format, a...)} }

// App is a configured notifier, ready to run.
type App struct {
	cfg      *config.Config
	log      zerolog.Logger
	reg      *prometheus.Registry
	m        *metrics.Metrics
	projects []project
	disc     []*fleet.Discoverer // [[dcs.discover]] entries
	redisc   func()              // Deps.Rediscover
	recv     []receiver
	// nc is the App's NATS connection, nil without nats.url (or in a dry run): the NATS
	// receiver publishes on it and the nats-kv state keeps its buckets on it; /readyz and
	// notifier_nats_connected report it. Closed last.
	nc     *natsconn.Conn
	mode   mode // fileMode or kvMode, as state.backend says
	dryRun bool
	rec    *status.Recorder // recent events and deliveries, for the status page
	sil    *silences        // the silences Decide weighs at commit, changed through the API
	live   livenessBounds   // when /healthz calls a loop wedged

	// What a reload applied in place (Apply) needs: mu guards cfg, projects and recv,
	// which Apply replaces while the endpoints read them; applyMu makes one Apply at a
	// time.
	mu        sync.RWMutex
	applyMu   sync.Mutex
	getenv    func(string) string
	transport http.RoundTripper
	fleet     *fleet.Fleet  // the credentials and budgets of the configuration running: a reload keeps its budgets
	shared    *sharedValues // what receivers share (a Slack channel's pace), kept by a reload
	natsFP    string        // the secrets and files [nats] reads, as the NATS connection was opened with
	quick     atomic.Bool   // stopping for a reload: no drain (unitConfig.quickStop)

	version, commit, configPath string // for the start line
}

// New opens the state, builds a client per project and connects NATS and the sinks, so
// that a problem with any of them fails the start rather than Run.
// The state lock is held until Close.
func New(cfg *config.Config, d Deps) (_ *App, err error) {
	if d.Getenv == nil {
		d.Getenv = os.Getenv
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	if d.Metrics == nil {
		d.Metrics = metrics.New(d.Registry, d.Version)
	}
	if d.Status == nil {
		d.Status = status.NewRecorder(status.DefaultSize)
	}
	a := &App{cfg: cfg, log: d.Log, reg: d.Registry, m: d.Metrics, dryRun: d.DryRun,
		version: d.Version, commit: d.Commit, configPath: d.ConfigPath, rec: d.Status, redisc: d.Rediscover,
		getenv: d.Getenv, transport: d.Transport, shared: &sharedValues{metrics: d.Metrics},
		live: newLivenessBounds(cfg.DCS.RequestTimeout.D())}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if cfg.State.Backend == "nats-kv" && d.DryRun {
		return nil, errOnceKV
	}
	if cfg.DCS.InsecureSkipVerify {
		a.log.Warn().Msg("dcs.insecure_skip_verify = true: TLS certificates of the DCS API are NOT verified")
	}
	if err := a.findProjects(cfg); err != nil {
		return nil, err
	}
	if !d.DryRun {
		if a.nc, err = dialNATS(cfg.NATS, a.log, d.Getenv); err != nil {
			return nil, err
		}
		if a.recv, err = openReceivers(cfg, a.log, d.Getenv, a.shared, a.nc); err != nil {
			return nil, err
		}
		if a.natsFP, err = natsFingerprint(cfg, d.Getenv); err != nil {
			return nil, err
		}
	}
	routes, err := route.New(cfg)
	if err != nil {
		return nil, setupErr("%w", err)
	}
	a.m.Keep(a.projectIDs())
	a.initSeries()
	if d.Now == nil {
		d.Now = time.Now
	}
	if cfg.State.Backend == "nats-kv" && a.nc != nil {
		a.sil = newKVSilences(a.nc.NC(), cfg.State, d.Now, a.log.With().Str("component", "silences").Logger())
	} else if a.sil, err = newFileSilences(cfg.State.Path, d.Now, a.log.With().Str("component", "silences").Logger()); err != nil {
		return nil, err
	}
	routes = routes.WithSilences(a.sil.Set)
	uc := unitConfig{cfg: cfg, policy: newSharedPolicy(cfg), log: a.log, m: a.m, receivers: a.recv, routes: routes, now: d.Now, rec: a.rec, dryRun: d.DryRun,
		everyProject: a.discovered(), quickStop: &a.quick}
	if cfg.State.Backend == "nats-kv" {
		if a.nc == nil {
			return nil, setupErr("state.backend: \"nats-kv\" needs the NATS sink (nats.url)")
		}
		a.mode = newKVMode(uc, a.nc.NC(), a.projects, cfg.Cluster.Shards)
	} else {
		fm, err := newFileMode(uc, cfg.State.Path, a.projects)
		if err != nil {
			return nil, err
		}
		a.mode = fm
	}
	a.m.SetProbes(a.probes())
	return a, nil
}

// config is the configuration running, which a reload may replace (Apply).
func (a *App) config() *config.Config {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.cfg
}

// Close releases the state lock and the connections: NATS last, since the NATS receiver
// and the nats-kv state use it.
func (a *App) Close() error {
	closeReceivers(a.recv)
	var err error
	if a.mode != nil {
		err = a.mode.close()
	}
	if a.nc != nil {
		a.nc.Close()
	}
	return err
}

// projectIDs are the configured projects' ids, in the order of the configuration.
func (a *App) projectIDs() []string {
	ids := make([]string, len(a.projects))
	for i, p := range a.projects {
		ids[i] = p.cfg.ProjectID
	}
	return ids
}

// receiverNames are the configured receivers' names, in the order they were opened.
func (a *App) receiverNames() []string {
	names := make([]string, len(a.recv))
	for i, r := range a.recv {
		names[i] = r.sink.Name()
	}
	return names
}
