// Package probe measures what the DCS task-center API of each configured project actually
// does where its documentation is silent: whether it answers and accepts the credential, the
// listing's order, whether limit and offset are honoured, what task_count counts, which of
// start_time and begin_time filters and on which time, the timestamp shapes, the task names
// and statuses in use, and throttling. It only reads: it never touches the notifier's state.
//
// It reads the API through internal/fleet, as run does: the same client, the same
// budget per access key (dcs.max_requests_per_second). With [[dcs.discover]] entries it
// first lists each entry's projects under the same rule (fleet.Claims: IAM
// KeystoneListAuthProjects, dcs.Sift's filters, explicit projects winning), says why each
// other project is skipped, and probes the projects found too.
//
// Run returns a Report; Report.WriteText prints it for people, and its JSON form is stable
// for scripts. Both end with the configuration lines to use.
package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"notifier/internal/config"
	"notifier/internal/dcs"
	"notifier/internal/event"
	"notifier/internal/fleet"
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
	// Progress, when set, gets a line as each project's probe starts (with more than one).
	Progress io.Writer
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
	// Discovery is what each [[dcs.discover]] entry listed; absent without one, or when
	// --project names a project of dcs.projects.
	Discovery []*DiscoveryReport `json:"discovery,omitempty"`
	// Receivers are the checks of the receivers whose kind can make one (an SMN topic
	// exists and may be published to), on a whole probe; absent when none can.
	Receivers []ReceiverCheck `json:"receivers,omitempty"`
	// Problems are the run's own, beyond any project's or discovery entry's.
	Problems []string `json:"problems,omitempty"`
	// ConfigLines are the lines of the configuration to use, [dcs] and [poll] keys with
	// comments; they are the same in the text and the JSON output.
	ConfigLines []string `json:"config_lines"`
}

// Run probes every project of the configuration, those its [[dcs.discover]] entries find
// included, or the one Options.Project names. The error is a *ConfigError, or the
// context's; every answer of the API, refusals included, is in the Report instead.
func Run(ctx context.Context, o Options) (*Report, error) {
	o = o.withDefaults()
	cfg := o.Config
	fl := fleet.New(fleet.Options{DCS: cfg.DCS, Getenv: o.Getenv, Transport: o.Transport, Now: o.Now, Sleep: o.Wait})
	explicit := explicitTargets(cfg)
	for _, t := range explicit {
		if _, err := fl.Credentials(t.keys); err != nil {
			return nil, &ConfigError{err}
		}
	}
	rep := &Report{Usable: true, Projects: []*ProjectReport{}}
	targets := pick(explicit, o.Project)
	// Discovery runs for a whole probe, or to find a --project not in dcs.projects.
	if o.Project == "" || (len(targets) == 0 && len(cfg.DCS.Discover) > 0) {
		reps, found, err := discover(ctx, o, fl)
		if err != nil {
			return nil, err
		}
		rep.Discovery = reps
		for _, d := range reps {
			rep.Usable = rep.Usable && d.Usable
		}
		targets = append(targets, pick(found, o.Project)...)
	}
	if o.Project != "" && len(targets) == 0 {
		msg := notFound(cfg, o.Project)
		if !rep.Usable {
			// Not a configuration error: the project may be one a failed listing would show.
			rep.Problems = append(rep.Problems, msg+"; a discovery entry could not list its projects (see above)")
			rep.ConfigLines = advise(cfg, nil)
			return rep, nil
		}
		return nil, &ConfigError{errors.New(msg)}
	}
	if len(targets) > 1 && o.Progress != nil {
		// Projects are probed one after another, each request on its key's budget.
		at := time.Duration(float64(len(targets)*requestsPerProject) / cfg.DCS.MaxRequestsPerSecond * float64(time.Second))
		fmt.Fprintf(o.Progress, "probe: %d projects, about %d requests each, at most %g a second per access key: %v or more\n",
			len(targets), requestsPerProject, cfg.DCS.MaxRequestsPerSecond, at.Round(time.Second))
	}
	for i, t := range targets {
		if len(targets) > 1 && o.Progress != nil {
			fmt.Fprintf(o.Progress, "probe: project %d/%d %s (%s)\n", i+1, len(targets), t.cfg.ProjectID, t.label())
		}
		pr, err := o.probeOne(ctx, t, fl)
		if err != nil {
			return nil, err
		}
		rep.Usable = rep.Usable && pr.Usable
		rep.Projects = append(rep.Projects, pr)
	}
	if o.Project == "" {
		rep.Receivers = o.checkReceivers(ctx, fl)
		for _, c := range rep.Receivers {
			rep.Usable = rep.Usable && c.OK
		}
	}
	rep.ConfigLines = advise(cfg, rep.Projects)
	return rep, nil
}

// probeOne probes one project with its credential, every request waiting on the budget of
// its access key (dcs.max_requests_per_second, shared by every project of the key).
func (o Options) probeOne(ctx context.Context, t target, fl *fleet.Fleet) (*ProjectReport, error) {
	cr, err := fl.Credentials(t.keys)
	if err != nil {
		return nil, &ConfigError{err}
	}
	c, err := fl.Client(t.cfg, cr, t.keys.Key)
	if err != nil {
		return nil, &ConfigError{fmt.Errorf("%s: %w", t.key, err)}
	}
	endpoint, _ := dcs.Endpoint(t.cfg.Region, t.cfg.Endpoint)
	pr := &ProjectReport{ProjectID: t.cfg.ProjectID, Name: t.cfg.Name, Region: t.cfg.Region, Endpoint: endpoint, DiscoveredBy: t.discoveredBy}
	pb := &prober{o: o, c: c, r: pr, statuses: event.NewStatuses(o.Config.Poll.TerminalStatuses), keys: t.keys}
	if err := pb.run(ctx); err != nil {
		return nil, err
	}
	pr.Usable = len(pr.Problems) == 0
	return pr, nil
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

func explicitTargets(cfg *config.Config) []target {
	out := make([]target, len(cfg.DCS.Projects))
	for i, p := range cfg.DCS.Projects {
		out[i] = target{cfg: p, keys: cfg.DCS.ProjectKeys(i), key: fmt.Sprintf("dcs.projects[%d]", i)}
	}
	return out
}

// pick returns the targets to probe: every one, or the one id names (any case).
func pick(ts []target, id string) []target {
	if id == "" {
		return ts
	}
	for _, t := range ts {
		if strings.EqualFold(t.cfg.ProjectID, id) {
			return []target{t}
		}
	}
	return nil
}

func notFound(cfg *config.Config, id string) string {
	ids := make([]string, len(cfg.DCS.Projects))
	for i, p := range cfg.DCS.Projects {
		ids[i] = p.ProjectID
	}
	msg := fmt.Sprintf("--project %s is not in dcs.projects (configured: %s)", id, strings.Join(ids, ", "))
	if len(cfg.DCS.Discover) > 0 {
		msg += " and no [[dcs.discover]] entry would watch it"
	}
	return msg
}

// label names a target in the progress lines.
func (t target) label() string {
	s := t.cfg.Region
	if t.cfg.Name != "" {
		s = t.cfg.Name
	}
	if t.discoveredBy != "" {
		s += ", " + t.discoveredBy
	}
	return s
}

// requestsPerProject is about how many requests a project's probe sends (more when a
// window is ignored and pages are read to the end).
const requestsPerProject = 12

// errStop ends a project's probe early: what went wrong is already in its Problems.
var errStop = errors.New("probe stopped")
