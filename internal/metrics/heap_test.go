package metrics_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"notifier/internal/metrics"
)

// fleetSize is the number of projects the heap benchmark watches, the size of the
// largest fleets the notifier is run with.
const fleetSize = 1000

// fleet returns n project ids shaped like real ones (32 hex digits) and their
// notifier_project_info, as discovery names them.
func fleet(n int) ([]string, []metrics.ProjectInfo) {
	ids := make([]string, n)
	info := make([]metrics.ProjectInfo, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("f1ee7%027x", i)
		info[i] = metrics.ProjectInfo{ID: ids[i], Name: fmt.Sprintf("acct-%d/cn-north-4", i),
			Region: "cn-north-4", DiscoveredBy: "dcs.discover[0]"}
	}
	return ids, info
}

// poll makes the updates one successful poll of a project makes (package poller).
func poll(m *metrics.Metrics, id string, now time.Time) {
	m.Polls.WithLabelValues(id, "ok").Inc()
	m.PollDuration.WithLabelValues(id).Observe(0.42)
	m.APIRequests.WithLabelValues(id, "200").Inc()
	m.Pages.WithLabelValues(id).Inc()
	m.TasksFollowed.WithLabelValues(id).Set(17)
	m.TasksActive.WithLabelValues(id).Set(3)
	m.SetLastSuccess(id, now)
}

// watch builds the metrics of a notifier watching ids, each polled once.
func watch(ids []string, info []metrics.ProjectInfo) *metrics.Metrics {
	m := metrics.New(prometheus.NewRegistry(), "x")
	now := time.Now()
	for _, id := range ids {
		m.InitProject(id)
	}
	for _, id := range ids {
		poll(m, id, now)
	}
	m.SetProjects(info)
	return m
}

// BenchmarkProjectSeriesHeap reports the live heap the per-project series hold, per
// project, in a notifier watching fleetSize projects: what bounds the RSS of a large
// fleet.
func BenchmarkProjectSeriesHeap(b *testing.B) {
	ids, info := fleet(fleetSize)
	var total float64
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		m := watch(ids, info)
		runtime.GC()
		runtime.ReadMemStats(&after)
		total += float64(int64(after.HeapAlloc) - int64(before.HeapAlloc))
		runtime.KeepAlive(m)
	}
	b.ReportMetric(total/float64(b.N)/fleetSize, "B/project")
}

// BenchmarkPollUpdates measures the metric updates of one poll, made for every project
// at every poll: it must not allocate.
func BenchmarkPollUpdates(b *testing.B) {
	ids, info := fleet(fleetSize)
	m := watch(ids, info)
	now := time.Now()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		poll(m, ids[i%len(ids)], now)
		i++
	}
}

// polledFleet is a registry with the families of fleetSize projects, each polled once.
func polledFleet() *prometheus.Registry {
	ids, info := fleet(fleetSize)
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "x")
	now := time.Now()
	for _, id := range ids {
		m.InitProject(id)
		poll(m, id, now)
	}
	m.SetProjects(info)
	return reg
}

// BenchmarkScrape measures a scrape of the families of fleetSize projects: the garbage
// it makes is collected, but adds to the heap between two collections.
func BenchmarkScrape(b *testing.B) {
	reg := polledFleet()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScrapeHeap reports the heap a scrape's gathered families hold, per project,
// until they are written out: the peak of a scrape over the heap between scrapes.
func BenchmarkScrapeHeap(b *testing.B) {
	reg := polledFleet()
	var total float64
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		mfs, err := reg.Gather()
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		total += float64(int64(after.HeapAlloc) - int64(before.HeapAlloc))
		runtime.KeepAlive(mfs)
	}
	b.ReportMetric(total/float64(b.N)/fleetSize, "B/project")
}
