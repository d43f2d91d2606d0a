// Package app wires the notifier together: state, one poller per project, the sinks, the
// HTTP endpoints and, with the nats-kv backend, leader election. It never touches signals or os.Exit, so tests and the demo drive it
// exactly as the command does.
package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/config"
	"notifier/internal/dcs"
	"notifier/internal/event"
	"notifier/internal/metrics"
	"notifier/internal/sinks"
	"notifier/internal/sinks/natssink"
	"notifier/internal/sinks/slacksink"
	"notifier/internal/state"
)

// Deps are what the app takes from its surroundings.
type Deps struct {
	Log       zerolog.Logger
	Getenv    func(string) string  // default os.Getenv
	Registry  *prometheus.Registry // default a new registry
	Transport http.RoundTripper    // DCS API transport; nil: the default one
	Version   string
	Sinks     []sinks.Sink // extra sinks (the demo's printer), after the configured ones
	DryRun    bool         // connect no sink: for once --dry-run
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
	sinks    []sinks.Sink
	nats     *natssink.Sink
	ln       net.Listener // nil when http.listen is ""
	file     *fileMode    // state.backend = "file"
	kv       *kvMode      // state.backend = "nats-kv"

	mu     sync.Mutex
	active map[int]*unit // the units running now, by shard, for /readyz
}

// project is a configured project and its API client.
type project struct {
	cfg    config.Project
	client dcs.Lister
}

// fileMode is the single-host backend: one unit for every project, its state in a
// locked directory, opened by New.
type fileMode struct {
	store *state.File
	unit  *unit
}

// New opens the state, builds a client per project and connects the sinks. The state
// lock is held until Close.
func New(cfg *config.Config, d Deps) (_ *App, err error) {
	if d.Getenv == nil {
		d.Getenv = os.Getenv
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	a := &App{cfg: cfg, log: d.Log, reg: d.Registry, m: metrics.New(d.Registry, d.Version), active: map[int]*unit{}}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	creds, err := credentials(cfg.DCS, d.Getenv)
	if err != nil {
		return nil, err
	}
	if cfg.DCS.InsecureSkipVerify {
		a.log.Warn().Msg("dcs.insecure_skip_verify = true: TLS certificates of the DCS API are NOT verified")
	}
	for i, p := range cfg.DCS.Projects {
		c, err := dcs.NewClient(dcs.Options{
			Region: p.Region, ProjectID: p.ProjectID, Endpoint: p.Endpoint, Credentials: creds,
			Timeout: cfg.DCS.RequestTimeout.D(), MaxBodyBytes: cfg.DCS.MaxBodyBytes,
			StartParam: cfg.DCS.StartTimeParam, InsecureSkipVerify: cfg.DCS.InsecureSkipVerify,
			Transport: d.Transport,
		})
		if err != nil {
			return nil, setupErr("dcs.projects[%d]: %w", i, err)
		}
		a.projects = append(a.projects, project{cfg: p, client: c})
	}
	if err := a.openSinks(d); err != nil {
		return nil, err
	}
	if addr := cfg.HTTP.Listen; addr != "" {
		// Bound here, not in Run, so a busy port fails the start (and a reload falls back).
		if a.ln, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("http.listen: %w", err)
		}
	}
	if cfg.State.Backend == "nats-kv" {
		if d.DryRun {
			return nil, errOnceKV
		}
		if a.nats == nil {
			return nil, setupErr("state.backend: \"nats-kv\" needs the NATS sink (nats.url)")
		}
		a.kv = newKVMode(a)
		return a, nil
	}
	fs, err := state.OpenFile(cfg.State.Path)
	if err != nil {
		return nil, setupErr("state.path: %w", err)
	}
	a.file = &fileMode{store: fs}
	u, err := a.newUnit(context.Background(), fs, a.projects)
	if err != nil {
		return nil, setupErr("state.path: %w", err)
	}
	a.file.unit = u
	a.active[0] = u
	return a, nil
}

func credentials(c config.DCS, getenv func(string) string) (dcs.Credentials, error) {
	cr := dcs.Credentials{AK: getenv(c.AKEnv), SK: getenv(c.SKEnv)}
	if c.SecurityTokenEnv != "" {
		cr.SecurityToken = getenv(c.SecurityTokenEnv)
	}
	var keys, names []string
	if cr.AK == "" {
		keys, names = append(keys, "dcs.ak_env"), append(names, c.AKEnv)
	}
	if cr.SK == "" {
		keys, names = append(keys, "dcs.sk_env"), append(names, c.SKEnv)
	}
	if len(keys) > 0 {
		return cr, setupErr("%s: not set in the environment: %s", strings.Join(keys, ", "), strings.Join(names, ", "))
	}
	return cr, nil
}

func (a *App) openSinks(d Deps) error {
	if d.DryRun {
		return nil
	}
	if url := a.cfg.NATS.URL; url != "" {
		opts, err := natsOptions(a.cfg.NATS, d.Getenv)
		if err != nil {
			return err
		}
		ns, err := natssink.New(natssink.Options{
			URL: url, SubjectPrefix: a.cfg.NATS.SubjectPrefix, JetStream: a.cfg.NATS.JetStream,
			Stream: a.cfg.NATS.Stream, PublishTimeout: a.cfg.NATS.PublishTimeout.D(), Connect: opts,
			Replicas: streamReplicas(a.cfg),
		}, a.log.With().Str("sink", "nats").Logger())
		if err != nil {
			return setupErr("nats.url: %w", err)
		}
		a.nats = ns
		a.sinks = append(a.sinks, ns)
	}
	for i, w := range a.cfg.Slack.Webhooks {
		url, err := config.ReadSecret(w.URLEnv, w.URLFile, d.Getenv)
		if err != nil {
			return setupErr("slack.webhooks[%d]: %w", i, err)
		}
		s, err := slacksink.New(slacksink.Options{Index: i, Webhook: w, URL: url,
			Statuses: event.NewStatuses(a.cfg.Poll.TerminalStatuses),
			Log:      a.log.With().Str("sink", fmt.Sprintf("slack[%d]", i)).Logger()})
		if err != nil {
			return setupErr("slack.webhooks[%d]: %w", i, err)
		}
		a.sinks = append(a.sinks, s)
	}
	a.sinks = append(a.sinks, d.Sinks...)
	return nil
}

// Close releases the state lock, the listener and the connections.
func (a *App) Close() error {
	if a.ln != nil {
		a.ln.Close()
	}
	if a.nats != nil {
		a.nats.Close()
	}
	if a.file != nil && a.file.store != nil {
		return a.file.store.Close()
	}
	return nil
}

// streamReplicas is how many replicas a stream the notifier creates gets: as many as the
// state buckets in nats-kv mode, where losing a NATS node must lose nothing; else one.
func streamReplicas(c *config.Config) int {
	if c.State.Backend == "nats-kv" {
		return c.State.Replicas
	}
	return 1
}
