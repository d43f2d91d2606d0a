package status

import "time"

// The bodies of /readyz and /healthz (served by internal/web, filled by the app): like the
// page, built from ids, names, counts and fixed text only, never a secret or an error's
// text.

// Readiness is the body of /readyz: the same fields whether ready or not, lists empty
// rather than absent, so a probe or a person reads one shape.
type Readiness struct {
	Status  string   `json:"status"`  // ready, not ready
	Reasons []string `json:"reasons"` // why not ready (starting); empty when ready
	// Upstream is the DCS API and NATS as this replica sees them: ok, degraded (Problems
	// says why), unknown while starting. It never makes the replica not ready.
	Upstream string          `json:"upstream"`
	Problems []string        `json:"problems"` // what is degraded; empty when ok
	Projects []ProjectStatus `json:"projects"` // every configured project, in config order
	// Receivers are the configured receivers by name, with the events pending for each in
	// the units this replica runs.
	Receivers []ReceiverStatus `json:"receivers"`
	// NATS is the connection's state: connected, connecting, reconnecting, closed, or
	// "not configured" without nats.url; unknown while starting.
	NATS   string        `json:"nats"`
	Shards []ShardStatus `json:"shards"` // nats-kv: leadership of each shard; empty otherwise
}

// ProjectStatus is what /readyz says about one project: its last poll by this replica.
type ProjectStatus struct {
	ID          string     `json:"id"`
	LastPoll    *time.Time `json:"last_poll"`    // null: not polled by this replica yet
	LastSuccess *time.Time `json:"last_success"` // null: no successful poll yet
	// Result is the last poll's: ok, error, or none (not polled yet, or in nats-kv a
	// shard another replica leads).
	Result string `json:"result"`
	// Error is the class of the last poll's failure — credentials refused, throttled,
	// unreachable, API error (HTTP n), unreadable answer, state not saved — never the
	// error's text; null after a success.
	Error *string `json:"error"`
}

// ReceiverStatus is what /readyz says about one receiver.
type ReceiverStatus struct {
	Name    string `json:"name"`
	Pending int    `json:"pending"`
}

// ShardStatus is what /readyz says about one shard in nats-kv mode.
type ShardStatus struct {
	Shard    int      `json:"shard"`
	Leader   bool     `json:"leader"`
	Term     uint64   `json:"term,omitempty"`
	Holder   string   `json:"holder"`
	Projects []string `json:"projects"`
}

// Starting is /readyz before the notifier runs (loading its configuration and state):
// not ready, in the shape of every other answer.
func Starting() Readiness {
	return Readiness{Status: "not ready", Reasons: []string{"starting: loading the configuration and the state"},
		Upstream: "unknown", Problems: []string{}, Projects: []ProjectStatus{}, Receivers: []ReceiverStatus{},
		NATS: "unknown", Shards: []ShardStatus{}}
}

// Liveness is the body of /healthz: whether the process's loops are alive. Problems name
// the loops that are wedged (a project's poller, a receiver's worker); empty when ok.
type Liveness struct {
	Status   string   `json:"status"` // ok, stalled
	Problems []string `json:"problems"`
}

// Alive is /healthz of a process whose loops are all alive, or not started yet.
func Alive() Liveness { return Liveness{Status: "ok", Problems: []string{}} }
