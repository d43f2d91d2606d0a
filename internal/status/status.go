// Package status is the notifier's status page: what it watches, what runs, what was sent
// to whom, and what waits. A Recorder keeps the last events and what became of each for
// each receiver, in memory and bounded; a Page is what the page shows, rendered as HTML by
// Render and served as JSON as it is (?format=json; its shape is documented in docs/operations.md
// and only grows).
//
// Nothing here reads the state file: the app fills a Page from its ledgers' memory, its
// pollers and this package's Recorder. Nothing on it is a secret: receivers are known by
// name, errors by their class (ErrorClass), and the template escapes every value.
package status

import (
	"time"

	"notifier/internal/silence"
)

// Page is everything the status page shows, at one moment.
type Page struct {
	GeneratedAt  time.Time  `json:"generated_at"`
	Version      string     `json:"version"`
	Backend      string     `json:"state_backend"` // "file" or "nats-kv"
	Projects     []Project  `json:"projects"`
	RunningTasks []Task     `json:"running_tasks"`
	RecentEvents []Event    `json:"recent_events"` // newest first
	Receivers    []Receiver `json:"receivers"`
	Cluster      *Cluster   `json:"cluster,omitempty"` // nats-kv only
	// Silences are the silences active now, those ending first first.
	Silences []silence.Silence `json:"silences"`
}

// Project is one configured project and how its polling goes.
type Project struct {
	Name   string `json:"name,omitempty"` // dcs.projects[].name
	ID     string `json:"id"`
	Region string `json:"region"`
	// Polled is true when this replica polls the project; false when another replica
	// leads its shard (nats-kv), and then the fields about polling are absent.
	Polled bool `json:"polled"`
	// Up: the last successful poll is at most 3 × poll.interval old (notifier_project_up).
	Up          bool       `json:"up"`
	LastSuccess *time.Time `json:"last_success,omitempty"`
	LastError   string     `json:"last_error,omitempty"` // class: "credentials refused", "throttled", ...
	LastErrorAt *time.Time `json:"last_error_at,omitempty"`
	// WindowParam is the window's query parameter: dcs.start_time_param as configured, or
	// under "auto" what the poller learned ("start_time", "begin_time", "none": neither
	// filters), "auto" while nothing is learned. WindowLearned says it was learned.
	WindowParam     string `json:"window_param"`
	WindowLearned   bool   `json:"window_learned"`
	RequestsPerPoll int    `json:"requests_per_poll"` // pages of the last successful poll
	// IdleIntervalSeconds is the wait between polls while no followed task runs, as it
	// stands: poll.interval, or under "auto" (IdleIntervalAuto) what the access key's
	// budget share allows its projects now.
	IdleIntervalSeconds float64    `json:"idle_interval_seconds"`
	IdleIntervalAuto    bool       `json:"idle_interval_auto"`
	BlindSince          *time.Time `json:"blind_since,omitempty"`
	BlindReason         string     `json:"blind_reason,omitempty"`
}

// Task is a followed task not yet in a terminal status.
type Task struct {
	ProjectID string `json:"project_id"`
	Project   string `json:"project"` // the project's name, or its id
	ID        string `json:"id"`
	Name      string `json:"name"`
	Label     string `json:"label"`              // "Master/standby switchover" (event.Label)
	Instance  string `json:"instance,omitempty"` // when a recent event named it
	Status    string `json:"status"`
	// UnknownStatus: Status is neither terminal (poll.terminal_statuses) nor one the API
	// is known to use for a running task (event.Statuses.Known), such as "PAUSED".
	UnknownStatus  bool      `json:"unknown_status"`
	CreatedAt      time.Time `json:"created_at"`
	RunningSeconds int64     `json:"running_seconds"`
	// The stuck threshold and where it comes from ("configured", "learned", "default");
	// absent when nothing sets one.
	ThresholdSeconds int64  `json:"stuck_threshold_seconds,omitempty"`
	ThresholdSource  string `json:"stuck_threshold_source,omitempty"`
	Stuck            bool   `json:"stuck"`
}

// Event is one recent event and what became of it for each configured receiver.
type Event struct {
	ID        string    `json:"id"`
	Time      time.Time `json:"time"`
	ProjectID string    `json:"project_id"`
	Project   string    `json:"project"`
	TaskID    string    `json:"task_id,omitempty"`
	TaskName  string    `json:"task_name,omitempty"`
	Label     string    `json:"label,omitempty"`
	Instance  string    `json:"instance,omitempty"` // the DCS instance's name, or its id
	Status    string    `json:"status,omitempty"`   // the task's status, for an event of a task
	// UnknownStatus: Status is not one the notifier knows (as Task.UnknownStatus).
	UnknownStatus bool       `json:"unknown_status"`
	Type          string     `json:"type"`
	Transition    string     `json:"transition"` // "RUNNING → FAILED", "new: RUNNING", "stuck in RUNNING", ...
	Severity      string     `json:"severity"`
	Deliveries    []Delivery `json:"deliveries"`
}

// The states of a Delivery.
const (
	Sent     = "sent"     // the receiver sent it: published, posted, or an incident opened, updated or resolved
	Pending  = "pending"  // in the receiver's queue, not delivered yet
	Dropped  = "dropped"  // given up: refused for good, or past max_pending
	Muted    = "muted"    // kept from the receiver at commit by a maintenance window ([[mute]])
	Silenced = "silenced" // kept from the receiver at commit by a silence (notifier silence add)
	Filtered = "filtered" // the receiver's filter refused it, or an on-call receiver had nothing to send for it
)

// Delivery is what became of an event for one receiver.
type Delivery struct {
	Receiver string     `json:"receiver"`
	State    string     `json:"state"`            // Sent, Pending, Dropped, Muted, Silenced or Filtered
	At       *time.Time `json:"at,omitempty"`     // when sent, dropped, muted or filtered
	Reason   string     `json:"reason,omitempty"` // why dropped (an error class), "maintenance window NAME", the silence's id, or which filter refused
}

// Receiver is one configured receiver.
type Receiver struct {
	Name        string     `json:"name"`
	Kind        string     `json:"kind"` // "nats", "slack", "slack-channel", "pagerduty" or "alertmanager"
	Pending     int        `json:"pending"`
	LastSuccess *time.Time `json:"last_success,omitempty"`
	LastError   string     `json:"last_error,omitempty"` // class, never a URL, token or key
	LastErrorAt *time.Time `json:"last_error_at,omitempty"`
	// FailingURLs are the URLs of the receiver (an Alertmanager entry's several) whose
	// last attempt failed, while its deliveries succeed through the others.
	FailingURLs []FailingURL `json:"failing_urls,omitempty"`
}

// FailingURL is one URL of a receiver that fails.
type FailingURL struct {
	URL   string     `json:"url"`   // without user info
	Error string     `json:"error"` // class, as LastError
	Since *time.Time `json:"since"` // the first failure in a row
}

// Cluster is the leadership of the shards (nats-kv).
type Cluster struct {
	Holder          string  `json:"holder"` // this replica
	LeaseTTLSeconds float64 `json:"lease_ttl_seconds"`
	// Members is how many replicas run, as this one counted them (0: not counted yet);
	// each aims at ceil(shards / members) shards.
	Members int     `json:"members,omitempty"`
	Shards  []Shard `json:"shards"`
}

// Shard is one shard's lease.
type Shard struct {
	Shard       int      `json:"shard"`
	Projects    []string `json:"projects"`
	Leader      string   `json:"leader,omitempty"` // the lease's holder; absent: none, or unknown
	ThisReplica bool     `json:"this_replica"`     // the leader is this replica
	Term        uint64   `json:"term,omitempty"`   // this replica's term, while it leads
	// LeaseAgeSeconds is how long ago the lease was last won or renewed; past the lease
	// TTL it has expired.
	LeaseAgeSeconds *float64 `json:"lease_age_seconds,omitempty"`
}
