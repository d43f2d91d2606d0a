package metrics

import (
	"maps"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// ProjectInfo is what notifier_project_info says of one watched project, so that alerts
// and panels, which carry only the 32-hex id, can say its name by joining on project:
//
//	... * on (project) group_left (project_name) notifier_project_info
type ProjectInfo struct {
	ID     string
	Name   string // dcs.projects[].name, or the discovered project's; empty: the id stands for it
	Region string
	// DiscoveredBy is the [[dcs.discover]] entry that found the project, as the discover
	// label of notifier_discovered_projects names it (dcs.discover[0]); "" when configured.
	DiscoveredBy string
}

// projectInfo is notifier_project_info: one series, always 1, per watched project. It
// keeps each series' label pairs, shared with the other series of the project
// (labelPairs), and writes the series at scrape time (project.go says why).
type projectInfo struct {
	desc  *prometheus.Desc
	pairs *labelPairs

	mu   sync.Mutex
	have map[string]*infoSeries // by project id
}

// infoSeries is one series of notifier_project_info.
type infoSeries struct {
	desc   *prometheus.Desc
	labels [4]*dto.LabelPair // discovered_by, project, project_name, region: sorted by name
}

func newProjectInfo(pairs *labelPairs) *projectInfo {
	return &projectInfo{
		desc: prometheus.NewDesc(prometheus.BuildFQName(ns, "", "project_info"),
			"Always 1, one series per watched project (configured or discovered): project_name is its name "+
				"(its id when it has none), discovered_by the [[dcs.discover]] entry that found it (\"\" when configured). "+
				"Join on project to name a project: * on (project) group_left (project_name) notifier_project_info.",
			[]string{"project", "project_name", "region", "discovered_by"}, nil),
		pairs: pairs,
		have:  map[string]*infoSeries{},
	}
}

// series returns the series of p.
func (c *projectInfo) series(p ProjectInfo) *infoSeries {
	name := p.Name
	if name == "" {
		name = p.ID // a legend or an alert always has something to call it
	}
	s := &infoSeries{desc: c.desc}
	copy(s.labels[:], sorted(&c.pairs.get("project", p.ID).pair, &c.pairs.get("project_name", name).pair,
		&c.pairs.get("region", p.Region).pair, &c.pairs.get("discovered_by", p.DiscoveredBy).pair))
	return s
}

// SetProjects makes notifier_project_info say exactly ps: a series for each, and none
// for a project no longer watched or for what a project was called before a reload
// renamed it (two series of one project would break every join on it).
func (m *Metrics) SetProjects(ps []ProjectInfo) {
	c := m.info
	have := make(map[string]*infoSeries, len(ps))
	for _, p := range ps {
		have[p.ID] = c.series(p)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.have = have
}

// Describe implements prometheus.Collector.
func (c *projectInfo) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *projectInfo) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	all := slices.Collect(maps.Values(c.have))
	c.mu.Unlock()
	for _, s := range all {
		ch <- s
	}
}

// Desc implements prometheus.Metric.
func (s *infoSeries) Desc() *prometheus.Desc { return s.desc }

// Write implements prometheus.Metric.
func (s *infoSeries) Write(out *dto.Metric) error {
	out.Label = s.labels[:]
	out.Gauge = &dto.Gauge{Value: new(1.0)}
	return nil
}
