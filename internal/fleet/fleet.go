// Package fleet is the notifier's many accounts and many projects: it reads each
// credential once, builds every project's DCS API client (the one constructor `run`,
// `once` and `probe` use), hands out one request budget per access key
// (dcs.max_requests_per_second, whatever project a request is for), spreads the first
// polls of a budget's projects, and lists the projects of [[dcs.discover]] entries with
// IAM under the one rule of which entry watches which project (Claims).
//
// The app builds a Fleet at every start and reload (keeping the budgets of the access
// keys that run on); the probe builds one for its run, so that it reads the API exactly as
// the notifier does.
package fleet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash/fnv"
	"maps"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/config"
	"notifier/internal/dcs"
	"notifier/internal/metrics"
)

// Options configure a Fleet.
type Options struct {
	DCS       config.DCS
	Getenv    func(string) string // where the credentials' variables are read; nil: none set
	Transport http.RoundTripper   // of every client; nil: the default one
	// Metrics, when set, count each budget's throttling answers
	// (notifier_dcs_throttled_total) and each entry's discovered projects.
	Metrics *metrics.Metrics
	// Now and Sleep are the budgets' clock (dcs.BudgetOptions); nil: the real one. The
	// probe's tests pass the simulator's.
	Now   func() time.Time
	Sleep func(context.Context, time.Duration) error
}

// Fleet reads each credential once and hands out one Budget per access key.
type Fleet struct {
	o       Options
	creds   map[string]dcs.Credentials // by CredentialKeys.Key
	budgets map[string]*dcs.Budget     // by a hash of the access key (never the key itself)
	members map[*dcs.Budget]int        // projects polled with each budget
	paces   map[*dcs.Budget]*Pace      // poll.interval = "auto" of each budget (pace.go)
}

// New returns a Fleet with no credential read and no budget yet.
func New(o Options) *Fleet {
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	return &Fleet{o: o, creds: map[string]dcs.Credentials{}, budgets: map[string]*dcs.Budget{},
		members: map[*dcs.Budget]int{}, paces: map[*dcs.Budget]*Pace{}}
}

// Credentials reads the credential of k once; the error names k's keys, never a value.
func (f *Fleet) Credentials(k config.CredentialKeys) (dcs.Credentials, error) {
	if c, ok := f.creds[k.Key]; ok {
		return c, nil
	}
	c, err := k.Read(f.o.Getenv)
	if err != nil {
		return c, err
	}
	f.creds[k.Key] = c
	return c, nil
}

// Budget returns the Budget of c's access key, counting one more project on it; key is
// where the credential is configured, which names it in the throttling metric (the first
// key of an access key used by several).
func (f *Fleet) Budget(c dcs.Credentials, key string) *dcs.Budget {
	b := f.SharedBudget(c, key)
	f.members[b]++
	return b
}

// SharedBudget is Budget for requests of another kind on the same access key (a
// receiver's calls to SMN): the same budget, no project counted on it.
func (f *Fleet) SharedBudget(c dcs.Credentials, key string) *dcs.Budget {
	sum := sha256.Sum256([]byte(c.AK.Reveal()))
	id := hex.EncodeToString(sum[:8])
	b, ok := f.budgets[id]
	if !ok {
		o := dcs.BudgetOptions{PerSecond: f.o.DCS.MaxRequestsPerSecond, Now: f.o.Now, Sleep: f.o.Sleep}
		if f.o.Metrics != nil {
			o.OnThrottle = f.o.Metrics.Throttled.WithLabelValues(key).Inc
		}
		b = dcs.NewBudget(o)
		f.budgets[id] = b
		f.paces[b] = &Pace{meanRate: dcs.MeanRate(o.PerSecond)}
	}
	return b
}

// Keep makes the fleet hand out budgets, by access key, of a previous one (a reload): the
// pollers that run on and the new ones of one access key share one budget.
func (f *Fleet) Keep(prev *Fleet) {
	maps.Copy(f.budgets, prev.budgets)
	maps.Copy(f.paces, prev.paces)
}

// Client builds the client of project p, polled with credential c (configured at key),
// its every request waiting on the budget of c's access key, which it returns too.
func (f *Fleet) Client(p config.Project, c dcs.Credentials, key string) (dcs.Budgeted, error) {
	cl, err := NewClient(f.o.DCS, p, c, f.o.Transport)
	if err != nil {
		return dcs.Budgeted{}, err
	}
	return dcs.Budgeted{Lister: cl, Budget: f.Budget(c, key)}, nil
}

// NewClient is the one way a DCS API client is built from the configuration, so that
// run, once, a reload and the probe read the API alike: [dcs] says the timeouts, the
// body limit, the window parameter and TLS verification, p where the project is.
func NewClient(d config.DCS, p config.Project, c dcs.Credentials, tr http.RoundTripper) (*dcs.Client, error) {
	return dcs.NewClient(dcs.Options{
		Region: p.Region, ProjectID: p.ProjectID, Endpoint: p.Endpoint, Credentials: c,
		Timeout: d.RequestTimeout.D(), MaxBodyBytes: d.MaxBodyBytes,
		StartParam: d.ClientStartParam(), InsecureSkipVerify: d.InsecureSkipVerify,
		Transport: tr,
	})
}

// StartDelay is how long project id, polled with budget b, waits before its first poll:
// a fraction, fixed by its id (the same at every start), of the time the budget needs to
// poll all of its projects once, never more than interval. No thundering herd, and a
// single project starts at once. The budget's mean rate is below
// dcs.max_requests_per_second (its window's margin, dcs.MeanRate).
func (f *Fleet) StartDelay(id string, b *dcs.Budget, interval time.Duration) time.Duration {
	return startDelay(id, f.members[b], dcs.MeanRate(f.o.DCS.MaxRequestsPerSecond), interval)
}

func startDelay(projectID string, members int, perSecond float64, interval time.Duration) time.Duration {
	spread := min(interval, time.Duration(float64(members)/perSecond*float64(time.Second)))
	if members <= 1 || spread <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(projectID))
	return time.Duration(float64(h.Sum64()>>11) / float64(1<<53) * float64(spread))
}

// WarnPace logs each budget that cannot poll all of its projects every interval: one page
// per poll, so projects/interval past the budget's mean rate is more than it allows.
func (f *Fleet) WarnPace(log zerolog.Logger, interval time.Duration) {
	perSecond := f.o.DCS.MaxRequestsPerSecond
	mean := dcs.MeanRate(perSecond)
	for _, n := range f.members {
		if need := float64(n) / interval.Seconds(); need > mean {
			log.Warn().Int("projects", n).Float64("requests_per_second_needed", need).Float64("budget", perSecond).
				Float64("budget_mean_rate", mean).
				Msg("dcs.max_requests_per_second is too low for poll.interval with this many projects on one access key: polls will be further apart than the interval")
		}
	}
}
