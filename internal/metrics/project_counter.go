package metrics

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// errCounterDecrease is the panic of an Add of a negative value to a counter, as in
// client_golang.
var errCounterDecrease = errors.New("counter cannot decrease in value")

// Counter is one series of a ProjectCounterVec or ProjectCounterVec2. It is a
// prometheus.Counter, and so a prometheus.Collector of its single series, which
// testutil.ToFloat64 reads.
type Counter struct {
	v       value
	created int64 // Unix nanoseconds: the created timestamp client_golang gives a counter
	desc    *prometheus.Desc
	labels  []*dto.LabelPair // sorted by name, shared with other series
}

var _ prometheus.Counter = (*Counter)(nil)

func newCounter(desc *prometheus.Desc, labels []*dto.LabelPair) *Counter {
	return &Counter{created: time.Now().UnixNano(), desc: desc, labels: labels}
}

// Inc adds 1 to the counter.
func (c *Counter) Inc() { c.v.add(1) }

// Add adds d to the counter. It panics if d is negative: a counter never decreases.
func (c *Counter) Add(d float64) {
	if d < 0 {
		panic(errCounterDecrease)
	}
	c.v.add(d)
}

// Desc implements prometheus.Metric.
func (c *Counter) Desc() *prometheus.Desc { return c.desc }

// Write implements prometheus.Metric.
func (c *Counter) Write(out *dto.Metric) error {
	out.Label = c.labels
	out.Counter = &dto.Counter{Value: new(c.v.get()), CreatedTimestamp: createdAt(c.created)}
	return nil
}

// Describe implements prometheus.Collector.
func (c *Counter) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *Counter) Collect(ch chan<- prometheus.Metric) { ch <- c }

// ProjectCounterVec is a counter family labelled by project alone.
type ProjectCounterVec struct {
	desc   *prometheus.Desc
	pairs  *labelPairs
	series series[string, Counter]
}

func newProjectCounterVec(pairs *labelPairs, name, help string) *ProjectCounterVec {
	return &ProjectCounterVec{desc: prometheus.NewDesc(prometheus.BuildFQName(ns, "", name), help, []string{"project"}, nil),
		pairs: pairs, series: newSeries[string, Counter]()}
}

// WithLabelValues returns the series of a project, creating it at zero the first time.
func (v *ProjectCounterVec) WithLabelValues(project string) *Counter {
	if c := v.series.load(project); c != nil {
		return c
	}
	return v.series.store(project, newCounter(v.desc, v.pairs.get("project", project).alone[:]))
}

// Describe implements prometheus.Collector.
func (v *ProjectCounterVec) Describe(ch chan<- *prometheus.Desc) { ch <- v.desc }

// Collect implements prometheus.Collector.
func (v *ProjectCounterVec) Collect(ch chan<- prometheus.Metric) { collect(&v.series, ch) }

// ProjectCounterVec2 is a counter family labelled by project and a second label, such
// as the result of a poll or the status code of a request.
type ProjectCounterVec2 struct {
	desc   *prometheus.Desc
	label  string // the second label's name
	pairs  *labelPairs
	series series[[2]string, Counter]
}

func newProjectCounterVec2(pairs *labelPairs, name, help, label string) *ProjectCounterVec2 {
	return &ProjectCounterVec2{desc: prometheus.NewDesc(prometheus.BuildFQName(ns, "", name), help, []string{"project", label}, nil),
		label: label, pairs: pairs, series: newSeries[[2]string, Counter]()}
}

// WithLabelValues returns the series of a project with the second label's value,
// creating it at zero the first time.
func (v *ProjectCounterVec2) WithLabelValues(project, value string) *Counter {
	k := [2]string{project, value}
	if c := v.series.load(k); c != nil {
		return c
	}
	labels := sorted(&v.pairs.get("project", project).pair, &v.pairs.get(v.label, value).pair)
	return v.series.store(k, newCounter(v.desc, labels))
}

// Describe implements prometheus.Collector.
func (v *ProjectCounterVec2) Describe(ch chan<- *prometheus.Desc) { ch <- v.desc }

// Collect implements prometheus.Collector.
func (v *ProjectCounterVec2) Collect(ch chan<- prometheus.Metric) { collect(&v.series, ch) }
