package app

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sync"

	"github.com/rs/zerolog"

	"notifier/internal/config"
	"notifier/internal/dcs"
	"notifier/internal/event"
	"notifier/internal/fleet"
	"notifier/internal/metrics"
	"notifier/internal/natsconn"
	rcv "notifier/internal/receiver"
	"notifier/internal/sinks"
)

// receiver is a configured sink and the bound on its backlog (its max_pending).
type receiver struct {
	sink       sinks.Sink
	kind       string // its kind ("nats", "slack"...), for the status page
	maxPending int
	// fp is what the sink was opened from (its entry, what it read outside the file, the
	// settings of other tables it reads: fingerprint): a reload keeps the sink, its worker
	// and its backlog while it is the same.
	fp string
}

// openReceivers opens every configured receiver, in the order of cfg.Receivers, each as
// its kind's registry entry says (receiver.Spec.Open). The NATS receiver publishes on nc,
// the App's connection (dialNATS). On an error, what was opened is closed again. What
// receivers share (the pace of one Slack channel) is kept in shared, whenever each was
// opened.
func openReceivers(cfg *config.Config, log zerolog.Logger, getenv func(string) string, shared *sharedValues, nc *natsconn.Conn) ([]receiver, error) {
	return openSelected(cfg, log, getenv, nil, shared, nc)
}

// openSelected is openReceivers for the receivers whose name is in only, or every one when
// only is nil (test-notification opens the ones named, so another's missing secret does
// not matter; a reload opens the ones other than NATS). Errors name each receiver's key as
// configured. nc is the connection the NATS receiver publishes on (nil when it is not
// opened).
func openSelected(cfg *config.Config, log zerolog.Logger, getenv func(string) string, only []string, shared *sharedValues, nc *natsconn.Conn) (_ []receiver, err error) {
	common := sharedInputs(cfg)
	var out []receiver
	defer func() {
		if err != nil {
			closeReceivers(out)
			out = nil
		}
	}()
	for _, e := range cfg.Entries() {
		c := e.Common()
		if only != nil && !slices.Contains(only, c.Name) {
			continue
		}
		d := receiverDeps(cfg, log, c.Name)
		d.Getenv, d.Shared, d.NATS, d.Metrics = getenv, shared.get, nc, shared.metrics
		d.DCSCredentials = func() (dcs.Credentials, error) { return cfg.DCS.ReadCredentials(getenv) }
		d.Budget = shared.budgetOf(cfg)
		o, err := e.Open(d)
		if err != nil {
			return nil, &SetupError{err} // it names the receiver's key
		}
		out = append(out, receiver{sink: o.Sink, kind: string(e.Info().Kind), maxPending: c.MaxPending,
			fp: fingerprint(e.Info().Kind, e.Config(), o.Read, common)})
	}
	return out, nil
}

// receiverDeps is what every receiver is opened or rendered with: the settings of other
// tables it reads, and the maintenance windows that apply to the receiver called name.
func receiverDeps(cfg *config.Config, log zerolog.Logger, name string) rcv.Deps {
	return rcv.Deps{
		Log: log, Statuses: event.NewStatuses(cfg.Poll.TerminalStatuses), Links: cfg.Slack.Links,
		MaxFollow: cfg.Poll.MaxFollow.D(), Lookback: cfg.Poll.Lookback.D(), Replicas: streamReplicas(cfg),
		During: duringFor(cfg, name), Muted: incidentMuted(cfg, name),
	}
}

// sharedValues is what receivers share and a reload keeps (receiver.Deps.Shared), such as
// the pace of one Slack channel, whose limit is per channel.
type sharedValues struct {
	mu      sync.Mutex
	m       map[string]any
	metrics *metrics.Metrics // the App's, for what receivers count themselves (receiver.Deps.Metrics); nil: none
	fleet   *fleet.Fleet     // the App's, whose budgets receivers share by access key (receiver.Deps.Budget); nil: none
}

// useFleet makes receivers opened from now on share fl's request budgets.
func (s *sharedValues) useFleet(fl *fleet.Fleet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fleet = fl
}

// budgetOf is receiver.Deps.Budget: the fleet's budget of an access key, the one its DCS
// pollers wait on; without a fleet (test-notification), one per access key kept here, at
// dcs.max_requests_per_second.
func (s *sharedValues) budgetOf(cfg *config.Config) func(dcs.Credentials, string) *dcs.Budget {
	s.mu.Lock()
	fl := s.fleet
	s.mu.Unlock()
	if fl != nil {
		return fl.SharedBudget
	}
	return func(c dcs.Credentials, _ string) *dcs.Budget {
		sum := sha256.Sum256([]byte(c.AK.Reveal()))
		return s.get("budget:"+hex.EncodeToString(sum[:8]), func() any {
			return dcs.NewBudget(dcs.BudgetOptions{PerSecond: cfg.DCS.MaxRequestsPerSecond})
		}).(*dcs.Budget)
	}
}

func (s *sharedValues) get(key string, make func() any) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]any{}
	}
	if _, ok := s.m[key]; !ok {
		s.m[key] = make()
	}
	return s.m[key]
}

// closeReceivers closes the sinks that hold a connection.
func closeReceivers(rs []receiver) {
	for _, r := range rs {
		if c, ok := r.sink.(interface{ Close() }); ok {
			c.Close()
		}
	}
}

// streamReplicas is how many replicas a stream the notifier creates gets: as many as the
// state buckets in nats-kv mode, where losing a NATS node must lose nothing; else one.
func streamReplicas(c *config.Config) int {
	if c.State.Backend == "nats-kv" {
		return c.State.Replicas
	}
	return 1
}
