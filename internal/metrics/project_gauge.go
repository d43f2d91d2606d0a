package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Gauge is one series of a ProjectGaugeVec. It is a prometheus.Gauge, and so a
// prometheus.Collector of its single series, which testutil.ToFloat64 reads.
type Gauge struct {
	v      value
	desc   *prometheus.Desc
	labels []*dto.LabelPair // shared with the project's other series
}

var _ prometheus.Gauge = (*Gauge)(nil)

// Set sets the gauge to f.
func (g *Gauge) Set(f float64) { g.v.set(f) }

// Add adds d (which may be negative) to the gauge.
func (g *Gauge) Add(d float64) { g.v.add(d) }

// Sub subtracts d from the gauge.
func (g *Gauge) Sub(d float64) { g.v.add(-d) }

// Inc adds 1 to the gauge.
func (g *Gauge) Inc() { g.v.add(1) }

// Dec subtracts 1 from the gauge.
func (g *Gauge) Dec() { g.v.add(-1) }

// SetToCurrentTime sets the gauge to the current Unix time in seconds.
func (g *Gauge) SetToCurrentTime() { g.Set(float64(time.Now().UnixNano()) / 1e9) }

// Desc implements prometheus.Metric.
func (g *Gauge) Desc() *prometheus.Desc { return g.desc }

// Write implements prometheus.Metric.
func (g *Gauge) Write(out *dto.Metric) error {
	out.Label = g.labels
	out.Gauge = &dto.Gauge{Value: new(g.v.get())}
	return nil
}

// Describe implements prometheus.Collector.
func (g *Gauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

// Collect implements prometheus.Collector.
func (g *Gauge) Collect(ch chan<- prometheus.Metric) { ch <- g }

// ProjectGaugeVec is a gauge family labelled by project alone.
type ProjectGaugeVec struct {
	desc   *prometheus.Desc
	pairs  *labelPairs
	series series[string, Gauge]
}

func newProjectGaugeVec(pairs *labelPairs, name, help string) *ProjectGaugeVec {
	return &ProjectGaugeVec{desc: prometheus.NewDesc(prometheus.BuildFQName(ns, "", name), help, []string{"project"}, nil),
		pairs: pairs, series: newSeries[string, Gauge]()}
}

// WithLabelValues returns the series of a project, creating it at zero the first time.
func (v *ProjectGaugeVec) WithLabelValues(project string) *Gauge {
	if g := v.series.load(project); g != nil {
		return g
	}
	return v.series.store(project, &Gauge{desc: v.desc, labels: v.pairs.get("project", project).alone[:]})
}

// DeleteLabelValues removes the series of a project, which a later WithLabelValues
// creates afresh at zero, and says whether there was one. What is set on a Gauge taken
// before is lost, as with client_golang's vectors.
func (v *ProjectGaugeVec) DeleteLabelValues(project string) bool { return v.series.delete(project) }

// Describe implements prometheus.Collector.
func (v *ProjectGaugeVec) Describe(ch chan<- *prometheus.Desc) { ch <- v.desc }

// Collect implements prometheus.Collector.
func (v *ProjectGaugeVec) Collect(ch chan<- prometheus.Metric) { collect(&v.series, ch) }
