// Package probe measures what the DCS task-center API of each configured project actually
// does where its documentation is silent: whether it answers and accepts the credential, the
// listing's order, whether limit and offset are honoured, what task_count counts, which of
// start_time and begin_time filters and on which time, the timestamp shapes, the task names
// and statuses in use, and throttling. It only reads: it never touches the notifier's state.
//
// Run returns a Report; Report.WriteText prints it for people, and its JSON form is stable
// for scripts. Both end with the configuration lines to use.
package probe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"notifier/internal/config"
	"notifier/internal/dcs"
	"notifier/internal/event"
)

// Options configure a probe.
type Options struct {
	Config    *config.Config
	Project   string              // a project id of dcs.projects, any case; empty: every one
	Getenv    func(string) string // for the credentials; default: none set
	Transport http.RoundTripper   // optional; tests pass their own
	Now       func() time.Time    // default time.Now
	// Wait sleeps between a throttling answer and the retry; default: a timer that ends early
	// when ctx does. Tests pass one that advances the simulator's clock.
	Wait func(ctx context.Context, d time.Duration) error
	// MaxPages bounds every listing the probe pages through; default 10.
	MaxPages int
}

// ConfigError is a problem with the configuration or the environment it names: the probe
// could not start. The command exits 2 on it.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// Report is everything the probe learned, for every project probed.
type Report struct {
	Usable   bool             `json:"usable"`
	Projects []*ProjectReport `json:"projects"`
	// ConfigLines are the lines of the configuration to use, [dcs] and [poll] keys with
	// comments; they are the same in the text and the JSON output.
	ConfigLines []string `json:"config_lines"`
}

// Run probes every project of the configuration, or the one Options.Project names. The error
// is a *ConfigError, or the context's; every answer of the API, refusals included, is in the
// Report instead.
func Run(ctx context.Context, o Options) (*Report, error) {
	o = o.withDefaults()
	cfg := o.Config
	projects, err := pick(cfg, o.Project)
	if err != nil {
		return nil, &ConfigError{err}
	}
	rep := &Report{Usable: true}
	for _, p := range projects {
		// Each project with its credential: its own keys, or [dcs]'s.
		keys := cfg.DCS.ProjectKeys(p.index)
		creds, err := keys.Read(o.Getenv)
		if err != nil {
			return nil, &ConfigError{err}
		}
		c, err := dcs.NewClient(dcs.Options{
			Region: p.cfg.Region, ProjectID: p.cfg.ProjectID, Endpoint: p.cfg.Endpoint, Credentials: creds,
			Timeout: cfg.DCS.RequestTimeout.D(), MaxBodyBytes: cfg.DCS.MaxBodyBytes,
			StartParam: cfg.DCS.ClientStartParam(), InsecureSkipVerify: cfg.DCS.InsecureSkipVerify,
			Transport: o.Transport,
		})
		if err != nil {
			return nil, &ConfigError{fmt.Errorf("dcs.projects[%d]: %w", p.index, err)}
		}
		endpoint, _ := dcs.Endpoint(p.cfg.Region, p.cfg.Endpoint)
		pr := &ProjectReport{ProjectID: p.cfg.ProjectID, Name: p.cfg.Name, Region: p.cfg.Region, Endpoint: endpoint}
		pb := &prober{o: o, c: c, r: pr, statuses: event.NewStatuses(cfg.Poll.TerminalStatuses), keys: keys}
		if err := pb.run(ctx); err != nil {
			return nil, err
		}
		pr.Usable = len(pr.Problems) == 0
		rep.Usable = rep.Usable && pr.Usable
		rep.Projects = append(rep.Projects, pr)
	}
	rep.ConfigLines = advise(cfg, rep.Projects)
	return rep, nil
}

func (o Options) withDefaults() Options {
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Wait == nil {
		o.Wait = wait
	}
	if o.MaxPages <= 0 {
		o.MaxPages = 10
	}
	return o
}

func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

type picked struct {
	index int
	cfg   config.Project
}

// pick returns the projects to probe: every one, or the one id names.
func pick(cfg *config.Config, id string) ([]picked, error) {
	var out []picked
	for i, p := range cfg.DCS.Projects {
		if id == "" || strings.EqualFold(p.ProjectID, id) {
			out = append(out, picked{i, p})
		}
	}
	if len(out) == 0 {
		ids := make([]string, len(cfg.DCS.Projects))
		for i, p := range cfg.DCS.Projects {
			ids[i] = p.ProjectID
		}
		return nil, fmt.Errorf("--project %s is not in dcs.projects (configured: %s)", id, strings.Join(ids, ", "))
	}
	return out, nil
}

// errStop ends a project's probe early: what went wrong is already in its Problems.
var errStop = errors.New("probe stopped")
