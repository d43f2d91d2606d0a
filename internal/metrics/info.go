package metrics

import (
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
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

// labels are the series' label values: project, project_name, region, discovered_by.
func (p ProjectInfo) labels() []string {
	name := p.Name
	if name == "" {
		name = p.ID // a legend or an alert always has something to call it
	}
	return []string{p.ID, name, p.Region, p.DiscoveredBy}
}

// projectInfo is notifier_project_info: one series, always 1, per watched project.
type projectInfo struct {
	vec *prometheus.GaugeVec

	mu   sync.Mutex
	have map[string][]string // the label values of each project's series, by id
}

func newProjectInfo() *projectInfo {
	return &projectInfo{
		vec: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "project_info",
			Help: "Always 1, one series per watched project (configured or discovered): project_name is its name " +
				"(its id when it has none), discovered_by the [[dcs.discover]] entry that found it (\"\" when configured). " +
				"Join on project to name a project: * on (project) group_left (project_name) notifier_project_info."},
			[]string{"project", "project_name", "region", "discovered_by"}),
		have: map[string][]string{},
	}
}

// SetProjects makes notifier_project_info say exactly ps: a series for each, and none
// for a project no longer watched or for what a project was called before a reload
// renamed it (two series of one project would break every join on it). A project whose
// labels did not change keeps its series untouched.
func (m *Metrics) SetProjects(ps []ProjectInfo) {
	c := m.info
	c.mu.Lock()
	defer c.mu.Unlock()
	want := make(map[string][]string, len(ps))
	for _, p := range ps {
		want[p.ID] = p.labels()
	}
	for id, lvs := range c.have {
		if !slices.Equal(want[id], lvs) {
			c.vec.DeleteLabelValues(lvs...)
			delete(c.have, id)
		}
	}
	for id, lvs := range want {
		if c.have[id] == nil {
			c.vec.WithLabelValues(lvs...).Set(1)
			c.have[id] = lvs
		}
	}
}

// Describe implements prometheus.Collector.
func (c *projectInfo) Describe(ch chan<- *prometheus.Desc) { c.vec.Describe(ch) }

// Collect implements prometheus.Collector.
func (c *projectInfo) Collect(ch chan<- prometheus.Metric) { c.vec.Collect(ch) }
