package metrics_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"notifier/internal/metrics"
)

// notifier_deliveries_total{receiver,result} is shared: the dispatcher counts ok, retry
// and dropped, and the state's per-receiver backlog bound (max_pending) counts what it
// drops as result="dropped". Its name and labels are what dashboards and alerts use; sink
// repeats receiver for one more release, for the queries written before receiver.
func TestDeliveriesSeriesUsableFromOutside(t *testing.T) {
	m := metrics.New(prometheus.NewRegistry(), "test")
	m.Deliveries.WithLabelValues("slack-oncall", "dropped").Add(3)
	m.Deliveries.WithLabelValues("nats", "retry").Inc()
	want := `
# HELP notifier_deliveries_total Event deliveries by receiver and result (ok, retry, dropped, muted, silenced). The sink label repeats receiver; it is deprecated and removed in the next release.
# TYPE notifier_deliveries_total counter
notifier_deliveries_total{receiver="slack-oncall",result="dropped",sink="slack-oncall"} 3
notifier_deliveries_total{receiver="nats",result="retry",sink="nats"} 1
`
	if err := testutil.CollectAndCompare(m.Deliveries, strings.NewReader(want), "notifier_deliveries_total"); err != nil {
		t.Error(err)
	}
}
