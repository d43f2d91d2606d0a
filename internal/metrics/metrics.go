// Package metrics defines the notifier's Prometheus metrics on a registry of its own.
package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

const ns = "notifier"

// Metrics holds every collector. Build one per process (or per test) with New.
type Metrics struct {
	// The families labelled by project have a series per watched project, thousands in a
	// large fleet: they are kept small (project.go) rather than as client_golang vectors.
	Polls         *ProjectCounterVec2  // project, result
	PollDuration  *ProjectHistogramVec // project
	APIRequests   *ProjectCounterVec2  // project, code
	Pages         *ProjectCounterVec   // project
	TasksFollowed *ProjectGaugeVec     // project
	TasksActive   *ProjectGaugeVec     // project
	SkippedTasks  *ProjectCounterVec   // project
	WindowIgnored *ProjectCounterVec   // project: tasks older than the window came back
	// WindowUnfiltered counts the polls made knowing that neither start_time nor
	// begin_time keeps old tasks out (dcs.start_time_param = "auto" learned "none").
	WindowUnfiltered *ProjectCounterVec // project
	// FullListings counts the polls that read every page of the listing although the
	// window was ignored: the order was not newest first, so paging could not stop early.
	FullListings    *ProjectCounterVec              // project
	Events          *prometheus.CounterVec          // type, severity
	Deliveries      *ByReceiver[prometheus.Counter] // receiver (and sink, deprecated), result
	Pending         *ByReceiver[prometheus.Gauge]   // receiver (and sink, deprecated)
	Retries         *prometheus.CounterVec          // component
	Throttled       *prometheus.CounterVec          // credential (a config key, never the access key)
	Discovered      *prometheus.GaugeVec            // discover (dcs.discover[i])
	StateSaveErrors prometheus.Counter              // a poll result or delivery progress not saved
	LastSuccess     *ProjectGaugeVec                // project, Unix seconds
	Leader          *prometheus.GaugeVec            // shard, holder: 1 while this replica leads the shard
	LeaderTerm      *prometheus.GaugeVec            // shard: the lease revision while leading
	ClusterMembers  prometheus.Gauge                // replicas announced in the lease bucket
	LeaseReleases   *prometheus.CounterVec          // shard: leases given up to balance the shards
	BuildInfo       *prometheus.GaugeVec            // version
	// ConfigReloadSuccessful and ConfigReloadSuccessTime are named as in Prometheus and
	// Alertmanager, so the same alert serves all three. The configuration loaded at the
	// start counts as a successful load.
	ConfigReloadSuccessful  prometheus.Gauge
	ConfigReloadSuccessTime prometheus.Gauge // Unix seconds

	// AlertmanagerErrors counts the failed posts to each URL of an [[alertmanager]]
	// entry, by receiver and url (without user info): one of several down still lets the
	// others take every alert, which the delivery metrics cannot show.
	AlertmanagerErrors *prometheus.CounterVec

	// TemplateErrors counts, by receiver, the message template parts that failed to
	// execute for an event: the built-in text was sent instead (package msgtmpl).
	TemplateErrors *prometheus.CounterVec

	// info is notifier_project_info (see SetProjects).
	info *projectInfo

	// probes computes notifier_project_up and notifier_nats_connected at every scrape
	// (see SetProbes).
	probes *probes

	mu    sync.Mutex
	known map[string]bool // projects InitProject has seen
}

// PollResults and DeliveryResults are the result label values of notifier_polls_total
// and notifier_deliveries_total; InitProject and InitReceiver create every one.
var (
	PollResults     = []string{"ok", "error"}
	DeliveryResults = []string{"ok", "retry", "dropped", "muted", "silenced"} // muted: kept from the receiver by a maintenance window; silenced: by a silence
)

// sinkDeprecated ends the help of the families labelled by receiver.
const sinkDeprecated = "The sink label repeats receiver; it is deprecated and removed in the next release."

// RetriesPoller is the component label of the poller's retries in notifier_retries_total;
// every receiver's retries are counted under its name.
const RetriesPoller = "poller"

// New registers the collectors on reg (plus the Go and process collectors).
func New(reg prometheus.Registerer, version string) *Metrics {
	pairs := newLabelPairs()
	m := &Metrics{
		Polls: newProjectCounterVec2(pairs, "polls_total",
			"Polls of the DCS task center by project and result (ok, error).", "result"),
		PollDuration: newProjectHistogramVec(pairs, "poll_duration_seconds",
			"Time to read every page of one poll.", prometheus.ExponentialBuckets(0.01, 2, 14)),
		APIRequests: newProjectCounterVec2(pairs, "api_requests_total",
			"Requests to the DCS API by project and HTTP status code (0: no answer).", "code"),
		Pages: newProjectCounterVec(pairs, "api_pages_total",
			"Task-list pages read successfully."),
		TasksFollowed: newProjectGaugeVec(pairs, "tasks_followed",
			"Tasks in the last-seen state."),
		TasksActive: newProjectGaugeVec(pairs, "tasks_active",
			"Followed tasks not yet in a terminal status."),
		SkippedTasks: newProjectCounterVec(pairs, "tasks_skipped_total",
			"Task entries that could not be used (no id, not an object)."),
		WindowIgnored: newProjectCounterVec(pairs, "window_ignored_total",
			"Polls in which the API returned tasks created before the requested start time (the time filter was ignored)."),
		WindowUnfiltered: newProjectCounterVec(pairs, "window_unfiltered_total",
			"Polls made knowing that neither start_time nor begin_time filters (dcs.start_time_param = auto found neither)."),
		FullListings: newProjectCounterVec(pairs, "full_listings_total",
			"Polls that read every page of the listing (more than one) although the window was ignored: paging stops early only in a listing known to be newest first."),
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "events_total",
			Help: "Events produced by type and severity."}, []string{"type", "severity"}),
		Deliveries: newCounterByReceiver(prometheus.CounterOpts{Namespace: ns, Name: "deliveries_total",
			Help: "Event deliveries by receiver and result (ok, retry, dropped, muted, silenced). " + sinkDeprecated}, "result"),
		Pending: newGaugeByReceiver(prometheus.GaugeOpts{Namespace: ns, Name: "pending_events",
			Help: "Events saved but not yet delivered, by receiver. " + sinkDeprecated}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "retries_total",
			Help: "Retries scheduled by component (poller, receiver name)."}, []string{"component"}),
		StateSaveErrors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "state_save_errors_total",
			Help: "Failed attempts to save the state: a poll result not committed, or delivery progress kept in memory until the next save."}),
		LastSuccess: newProjectGaugeVec(pairs, "last_successful_poll_timestamp_seconds",
			"Unix time of the last poll that succeeded and was committed."),
		Leader: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "leader",
			Help: "1 while this replica holds the shard's lease (state.backend = nats-kv); holder is this replica's id."}, []string{"shard", "holder"}),
		LeaderTerm: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "leader_term",
			Help: "The term (lease revision) of the shard this replica leads, 0 when following."}, []string{"shard"}),
		ClusterMembers: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "cluster_members",
			Help: "Replicas running, as this replica counted them in the lease bucket (state.backend = nats-kv); each aims at ceil(shards / members) shards."}),
		LeaseReleases: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "lease_releases_total",
			Help: "Shard leases this replica gave up because it held more than its fair share."}, []string{"shard"}),
		BuildInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "build_info",
			Help: "Always 1; the version label says which build runs."}, []string{"version"}),
		ConfigReloadSuccessful: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "config_last_reload_successful",
			Help: "1 when the last attempt to load the configuration succeeded, 0 when it failed (the running configuration was kept)."}),
		ConfigReloadSuccessTime: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "config_last_reload_success_timestamp_seconds",
			Help: "Unix time of the last successful configuration load."}),
		Throttled: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "throttled_total",
			Help: "Throttling answers (429, APIGW.0308) by credential, named by the key it is configured under (dcs, dcs.projects[2], dcs.discover[0]); each pauses every project of that access key."}, []string{"credential"}),
		Discovered: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "discovered_projects",
			Help: "Projects to watch found by the last successful listing of a [[dcs.discover]] entry."}, []string{"discover"}),
		AlertmanagerErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "alertmanager_errors_total",
			Help: "Failed posts to an Alertmanager, by receiver and url (without user info): one of several URLs down shows here while the others take the alerts."}, []string{ReceiverLabel, "url"}),
		TemplateErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "template_errors_total",
			Help: "Message template parts (template, template_file) that failed to execute for an event, by receiver: the built-in text was sent instead."}, []string{ReceiverLabel}),
		info:   newProjectInfo(pairs),
		probes: newProbes(),
		known:  map[string]bool{},
	}
	reg.MustRegister(m.Polls, m.PollDuration, m.APIRequests, m.Pages, m.TasksFollowed, m.TasksActive,
		m.SkippedTasks, m.WindowIgnored, m.WindowUnfiltered, m.FullListings, m.Events, m.Deliveries, m.Pending, m.Retries, m.StateSaveErrors,
		m.LastSuccess, m.Leader, m.LeaderTerm, m.ClusterMembers, m.LeaseReleases, m.BuildInfo, m.ConfigReloadSuccessful, m.ConfigReloadSuccessTime,
		m.Throttled, m.Discovered, m.AlertmanagerErrors, m.TemplateErrors, m.info, m.probes,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.BuildInfo.WithLabelValues(version).Set(1)
	m.Retries.WithLabelValues(RetriesPoller)
	m.ReloadDone(true, time.Now())
	return m
}

// InitProject creates a project's series at zero, so that rate(), increase() and the
// alerts on them work from the start, before the first poll and however the first polls
// go. notifier_last_successful_poll_timestamp_seconds is created at 0 (never read, as far
// as this process knows) the first time only: a second call, such as the one a reload
// makes, leaves it be; SetLastSuccess sets it from the saved state.
func (m *Metrics) InitProject(id string) {
	m.mu.Lock()
	first := !m.known[id]
	m.known[id] = true
	m.mu.Unlock()
	if first {
		m.SetLastSuccess(id, time.Time{})
	}
	for _, r := range PollResults {
		m.Polls.WithLabelValues(id, r)
	}
	m.PollDuration.WithLabelValues(id)
	m.Pages.WithLabelValues(id)
	m.SkippedTasks.WithLabelValues(id)
	m.WindowIgnored.WithLabelValues(id)
	m.WindowUnfiltered.WithLabelValues(id)
	m.FullListings.WithLabelValues(id)
}

// Keep prepares the gauges for an App built on metrics that outlive a reload: the
// per-project gauges of a project no longer configured are removed (a frozen
// notifier_last_successful_poll_timestamp_seconds would read as a project not watched),
// and so is the leadership of every shard, which the new App reports afresh under its own
// holder id. Counters are never touched: a reload keeps every one.
func (m *Metrics) Keep(projects []string) {
	keep := make(map[string]bool, len(projects))
	for _, id := range projects {
		keep[id] = true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for id := range m.known {
		if keep[id] {
			continue
		}
		delete(m.known, id)
		for _, g := range []*ProjectGaugeVec{m.LastSuccess, m.TasksFollowed, m.TasksActive} {
			g.DeleteLabelValues(id)
		}
	}
	m.Leader.Reset()
	m.LeaderTerm.Reset()
}

// ReloadDone records the outcome of an attempt to load a new configuration in
// notifier_config_last_reload_successful and, on a success, in
// notifier_config_last_reload_success_timestamp_seconds.
func (m *Metrics) ReloadDone(ok bool, now time.Time) {
	if !ok {
		m.ConfigReloadSuccessful.Set(0)
		return
	}
	m.ConfigReloadSuccessful.Set(1)
	m.ConfigReloadSuccessTime.Set(float64(now.Unix()))
}

// InitReceiver creates a receiver's delivery series at zero: every result of
// notifier_deliveries_total, its notifier_retries_total, notifier_pending_events (which
// its dispatcher sets once running) and notifier_template_errors_total.
func (m *Metrics) InitReceiver(name string) {
	for _, r := range DeliveryResults {
		m.Deliveries.WithLabelValues(name, r)
	}
	m.Retries.WithLabelValues(name)
	m.Pending.WithLabelValues(name)
	m.TemplateErrors.WithLabelValues(name)
}

// SetLastSuccess sets notifier_last_successful_poll_timestamp_seconds of a project. The
// zero time (never, as far as the saved state knows) is written as 0, so that the series
// exists and "time() - it > N" fires for a project never read.
func (m *Metrics) SetLastSuccess(id string, t time.Time) {
	v := 0.0
	if !t.IsZero() {
		v = float64(t.UnixNano()) / 1e9
	}
	m.LastSuccess.WithLabelValues(id).Set(v)
}
