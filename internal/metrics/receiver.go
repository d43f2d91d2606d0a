package metrics

import "github.com/prometheus/client_golang/prometheus"

// ReceiverLabel names the configured receiver a series is about, as config, logs
// (receiver=NAME) and the CLI name it.
const ReceiverLabel = "receiver"

// DeprecatedLabels maps each label kept only for compatibility to the one that replaces
// it. sink is what the receiver label was called before; it still carries the same value
// for one release so that existing queries keep working, and is removed in the next.
// Rules and dashboards in deploy/ must not use it (deploy's tests check).
var DeprecatedLabels = map[string]string{"sink": ReceiverLabel}

// receiverLabels are the labels of a family by receiver: the receiver's name under
// receiver and again under the deprecated sink, then more.
func receiverLabels(more ...string) []string {
	return append([]string{ReceiverLabel, "sink"}, more...)
}

// vec is what ByReceiver wraps: a *prometheus.CounterVec or *prometheus.GaugeVec.
type vec[M any] interface {
	prometheus.Collector
	WithLabelValues(lvs ...string) M
}

// ByReceiver is a family labelled by receiver (and by sink, its deprecated duplicate),
// then by the labels given to WithLabelValues. Taking the name once, it cannot let the
// two disagree.
type ByReceiver[M any] struct {
	v vec[M]
}

// newCounterByReceiver makes a counter family labelled by receiver, sink, then labels.
func newCounterByReceiver(opts prometheus.CounterOpts, labels ...string) *ByReceiver[prometheus.Counter] {
	return &ByReceiver[prometheus.Counter]{v: prometheus.NewCounterVec(opts, receiverLabels(labels...))}
}

// newGaugeByReceiver makes a gauge family labelled by receiver, sink, then labels.
func newGaugeByReceiver(opts prometheus.GaugeOpts, labels ...string) *ByReceiver[prometheus.Gauge] {
	return &ByReceiver[prometheus.Gauge]{v: prometheus.NewGaugeVec(opts, receiverLabels(labels...))}
}

// WithLabelValues returns the series of a receiver with the values of the family's other
// labels, creating it at zero the first time.
func (b *ByReceiver[M]) WithLabelValues(receiver string, lvs ...string) M {
	return b.v.WithLabelValues(append([]string{receiver, receiver}, lvs...)...)
}

// Describe implements prometheus.Collector.
func (b *ByReceiver[M]) Describe(ch chan<- *prometheus.Desc) { b.v.Describe(ch) }

// Collect implements prometheus.Collector.
func (b *ByReceiver[M]) Collect(ch chan<- prometheus.Metric) { b.v.Collect(ch) }
