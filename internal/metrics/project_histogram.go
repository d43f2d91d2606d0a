package metrics

import (
	"fmt"
	"math"
	"slices"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Histogram is one series of a ProjectHistogramVec. It is a prometheus.Histogram, and
// so a prometheus.Collector of its single series.
//
// A scrape reads the buckets first and derives the count from them, so that the
// buckets and the count always agree; the sum, read last, may be an observation ahead of
// or behind them when one is made meanwhile. client_golang's hot and cold counts avoid
// that, at the cost of two sets of counts per series: here one poll's duration, in one
// scrape, is all an average can be off by.
type Histogram struct {
	counts  []atomic.Uint64 // observations by bucket, not cumulative; the last is above every bound
	sum     value
	created int64 // Unix nanoseconds: the created timestamp client_golang gives a histogram
	vec     *ProjectHistogramVec
	labels  []*dto.LabelPair // shared with the project's other series
}

var _ prometheus.Histogram = (*Histogram)(nil)

// Observe adds one observation of v.
func (h *Histogram) Observe(v float64) {
	h.counts[findBucket(h.vec.bounds, v)].Add(1)
	h.sum.add(v)
}

// findBucket returns the index of the bucket of v: the first bound at least v, or
// len(bounds) when v is above them all (or NaN), as client_golang finds it.
func findBucket(bounds []float64, v float64) int {
	for i, b := range bounds {
		if v <= b {
			return i
		}
	}
	return len(bounds)
}

// Desc implements prometheus.Metric.
func (h *Histogram) Desc() *prometheus.Desc { return h.vec.desc }

// Write implements prometheus.Metric.
func (h *Histogram) Write(out *dto.Metric) error {
	upper := h.vec.upper
	buckets := make([]*dto.Bucket, len(upper))
	var n uint64
	for i, b := range upper {
		n += h.counts[i].Load()
		buckets[i] = &dto.Bucket{CumulativeCount: new(n), UpperBound: b}
	}
	n += h.counts[len(upper)].Load()
	out.Label = h.labels
	out.Histogram = &dto.Histogram{SampleCount: new(n), SampleSum: new(h.sum.get()), Bucket: buckets,
		CreatedTimestamp: createdAt(h.created)}
	return nil
}

// Describe implements prometheus.Collector.
func (h *Histogram) Describe(ch chan<- *prometheus.Desc) { ch <- h.vec.desc }

// Collect implements prometheus.Collector.
func (h *Histogram) Collect(ch chan<- prometheus.Metric) { ch <- h }

// ProjectHistogramVec is a histogram family labelled by project alone.
type ProjectHistogramVec struct {
	desc   *prometheus.Desc
	bounds []float64  // the buckets' upper bounds, increasing, without +Inf
	upper  []*float64 // the same, as every scrape writes them, shared by every series
	pairs  *labelPairs
	series series[string, Histogram]
}

// newProjectHistogramVec makes a histogram family with the given bucket upper bounds
// (increasing; +Inf is implicit, as in prometheus.HistogramOpts).
func newProjectHistogramVec(pairs *labelPairs, name, help string, bounds []float64) *ProjectHistogramVec {
	bounds = slices.Clone(bounds) // upper points into it
	if n := len(bounds); n > 0 && math.IsInf(bounds[n-1], +1) {
		bounds = bounds[:n-1]
	}
	upper := make([]*float64, len(bounds))
	for i, b := range bounds {
		if i > 0 && b <= bounds[i-1] {
			panic(fmt.Errorf("metrics: the buckets of %s are not in increasing order: %v", name, bounds))
		}
		upper[i] = &bounds[i]
	}
	return &ProjectHistogramVec{desc: prometheus.NewDesc(prometheus.BuildFQName(ns, "", name), help, []string{"project"}, nil),
		bounds: bounds, upper: upper, pairs: pairs, series: newSeries[string, Histogram]()}
}

// WithLabelValues returns the series of a project, creating it empty the first time.
func (v *ProjectHistogramVec) WithLabelValues(project string) *Histogram {
	if h := v.series.load(project); h != nil {
		return h
	}
	return v.series.store(project, &Histogram{counts: make([]atomic.Uint64, len(v.bounds)+1),
		created: time.Now().UnixNano(), vec: v, labels: v.pairs.get("project", project).alone[:]})
}

// Describe implements prometheus.Collector.
func (v *ProjectHistogramVec) Describe(ch chan<- *prometheus.Desc) { ch <- v.desc }

// Collect implements prometheus.Collector.
func (v *ProjectHistogramVec) Collect(ch chan<- prometheus.Metric) { collect(&v.series, ch) }
