package metrics

import (
	"maps"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Probes are the questions behind the gauges computed at scrape time. Asking at every
// scrape keeps them true when nothing happens: a poller stuck in a request never
// reports that it is late, but its project still goes down on time.
type Probes struct {
	// ProjectUp reports, for every configured project, whether it is watched: its last
	// successful poll is at most 3 × poll.interval old. Feeds notifier_project_up.
	ProjectUp func() map[string]bool
	// NATSConnected reports whether the NATS connection is up; nil when NATS is not
	// configured, which leaves notifier_nats_connected out.
	NATSConnected func() bool
}

// SetProbes installs the probes read at every scrape; until then the gauges they feed
// are absent. A later call replaces them.
func (m *Metrics) SetProbes(p Probes) { m.probes.set(p) }

// probes is a collector asking its Probes at every Collect.
type probes struct {
	up, nats *prometheus.Desc

	mu sync.Mutex
	p  Probes
}

func newProbes() *probes {
	return &probes{
		up: prometheus.NewDesc(ns+"_project_up",
			"1 when the project's last successful poll is at most 3 × poll.interval old, else 0. "+
				"With nats-kv only the shard's leader reports 1: take the max over the replicas.",
			[]string{"project"}, nil),
		nats: prometheus.NewDesc(ns+"_nats_connected",
			"1 while the connection to NATS is up, else 0; absent when no NATS is configured.", nil, nil),
	}
}

func (c *probes) set(p Probes) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.p = p
}

// Describe implements prometheus.Collector.
func (c *probes) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.up
	ch <- c.nats
}

// Collect implements prometheus.Collector.
func (c *probes) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	p := c.p
	c.mu.Unlock()
	if p.ProjectUp != nil {
		up := p.ProjectUp()
		for _, id := range slices.Sorted(maps.Keys(up)) {
			ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, b2f(up[id]), id)
		}
	}
	if p.NATSConnected != nil {
		ch <- prometheus.MustNewConstMetric(c.nats, prometheus.GaugeValue, b2f(p.NATSConnected()))
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
