package metrics_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"notifier/internal/metrics"
)

// A series taken with WithLabelValues is a collector of itself alone, as a client_golang
// child is: the tests of other packages read one with testutil.ToFloat64, or compare it.
func TestProjectSeriesCollectThemselves(t *testing.T) {
	m := metrics.New(prometheus.NewRegistry(), "test")
	m.InitProject(project)
	m.Polls.WithLabelValues(project, "error").Inc()
	m.Polls.WithLabelValues(project, "error").Add(2)
	m.SkippedTasks.WithLabelValues(project).Add(4)
	m.TasksActive.WithLabelValues(project).Set(3)
	m.PollDuration.WithLabelValues(project).Observe(0.05)
	if got := testutil.ToFloat64(m.Polls.WithLabelValues(project, "error")); got != 3 {
		t.Errorf("polls error = %v, want 3", got)
	}
	if got := testutil.ToFloat64(m.Polls.WithLabelValues(project, "ok")); got != 0 {
		t.Errorf("polls ok = %v, want 0", got)
	}
	if got := testutil.ToFloat64(m.SkippedTasks.WithLabelValues(project)); got != 4 {
		t.Errorf("skipped = %v, want 4", got)
	}
	if got := testutil.ToFloat64(m.TasksActive.WithLabelValues(project)); got != 3 {
		t.Errorf("active = %v, want 3", got)
	}
	want := `
# HELP notifier_poll_duration_seconds Time to read every page of one poll.
# TYPE notifier_poll_duration_seconds histogram
notifier_poll_duration_seconds_bucket{project="0123456789abcdef0123456789abcdef",le="0.01"} 0
notifier_poll_duration_seconds_bucket{project="0123456789abcdef0123456789abcdef",le="0.02"} 0
notifier_poll_duration_seconds_bucket{project="0123456789abcdef0123456789abcdef",le="0.04"} 0
notifier_poll_duration_seconds_bucket{project="0123456789abcdef0123456789abcdef",le="0.08"} 1
notifier_poll_duration_seconds_bucket{project="0123456789abcdef0123456789abcdef",le="0.16"} 1
notifier_poll_duration_seconds_bucket{project="0123456789abcdef0123456789abcdef",le="0.32"} 1
notifier_poll_duration_seconds_bucket{project="0123456789abcdef0123456789abcdef",le="0.64"} 1
notifier_poll_duration_seconds_bucket{project="0123456789abcdef0123456789abcdef",le="1.28"} 1
notifier_poll_duration_seconds_bucket{project="0123456789abcdef0123456789abcdef",le="2.56"} 1
notifier_poll_duration_seconds_bucket{project="0123456789abcdef0123456789abcdef",le="5.12"} 1
notifier_poll_duration_seconds_bucket{project="0123456789abcdef0123456789abcdef",le="10.24"} 1
notifier_poll_duration_seconds_bucket{project="0123456789abcdef0123456789abcdef",le="20.48"} 1
notifier_poll_duration_seconds_bucket{project="0123456789abcdef0123456789abcdef",le="40.96"} 1
notifier_poll_duration_seconds_bucket{project="0123456789abcdef0123456789abcdef",le="81.92"} 1
notifier_poll_duration_seconds_bucket{project="0123456789abcdef0123456789abcdef",le="+Inf"} 1
notifier_poll_duration_seconds_sum{project="0123456789abcdef0123456789abcdef"} 0.05
notifier_poll_duration_seconds_count{project="0123456789abcdef0123456789abcdef"} 1
`
	if err := testutil.CollectAndCompare(m.PollDuration.WithLabelValues(project), strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	// The whole family, through the pedantic registry CollectAndCompare uses.
	if err := testutil.CollectAndCompare(m.Polls, strings.NewReader(`
# HELP notifier_polls_total Polls of the DCS task center by project and result (ok, error).
# TYPE notifier_polls_total counter
notifier_polls_total{project="0123456789abcdef0123456789abcdef",result="error"} 3
notifier_polls_total{project="0123456789abcdef0123456789abcdef",result="ok"} 0
`)); err != nil {
		t.Error(err)
	}
}

// A reload that stops watching a project removes its gauges, which InitProject creates
// again if it comes back, and keeps its counters.
func TestKeepRemovesTheGaugesOfProjectsNoLongerWatched(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "test")
	const other = "fedcba9876543210fedcba9876543210"
	for _, id := range []string{project, other} {
		m.InitProject(id)
		m.Pages.WithLabelValues(id).Inc()
		m.TasksFollowed.WithLabelValues(id).Set(5)
		m.TasksActive.WithLabelValues(id).Set(2)
		m.SetLastSuccess(id, time.Unix(1_800_000_000, 0))
	}
	m.Keep([]string{project})
	count := func(name string) int {
		t.Helper()
		n, err := testutil.GatherAndCount(reg, name)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, name := range []string{"notifier_tasks_followed", "notifier_tasks_active", "notifier_last_successful_poll_timestamp_seconds"} {
		if n := count(name); n != 1 {
			t.Errorf("%s: %d series after Keep, want only the kept project's", name, n)
		}
	}
	if n := count("notifier_api_pages_total"); n != 2 {
		t.Errorf("notifier_api_pages_total: %d series after Keep, want both projects'", n)
	}
	if got := testutil.ToFloat64(m.Pages.WithLabelValues(other)); got != 1 {
		t.Errorf("pages of the dropped project = %v, want 1 (counters are kept)", got)
	}
	m.InitProject(other) // it comes back
	if n := count("notifier_last_successful_poll_timestamp_seconds"); n != 2 {
		t.Errorf("notifier_last_successful_poll_timestamp_seconds: %d series, want 2", n)
	}
	if got := testutil.ToFloat64(m.LastSuccess.WithLabelValues(other)); got != 0 {
		t.Errorf("last success of the project back = %v, want 0", got)
	}
}

// A counter never decreases, as in client_golang.
func TestCounterCannotDecrease(t *testing.T) {
	m := metrics.New(prometheus.NewRegistry(), "test")
	defer func() {
		if recover() == nil {
			t.Error("Add(-1) did not panic")
		}
	}()
	m.Pages.WithLabelValues(project).Add(-1)
}

// A label value that is not UTF-8 would fail every scrape: WithLabelValues panics, as
// client_golang's does.
func TestLabelValueMustBeUTF8(t *testing.T) {
	m := metrics.New(prometheus.NewRegistry(), "test")
	defer func() {
		if recover() == nil {
			t.Error("WithLabelValues of invalid UTF-8 did not panic")
		}
	}()
	m.APIRequests.WithLabelValues(project, "\xff")
}

// Scrapes run while the pollers update: nothing is lost, and a scrape's histogram count
// always agrees with its buckets.
func TestUpdatesDuringScrapes(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "test")
	ids, _ := fleet(8)
	const polls = 2000
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			for range polls {
				m.Polls.WithLabelValues(id, "ok").Inc()
				m.APIRequests.WithLabelValues(id, "200").Add(2)
				m.PollDuration.WithLabelValues(id).Observe(0.25)
				m.TasksActive.WithLabelValues(id).Add(1)
			}
		})
	}
	done := make(chan struct{})
	scraped := make(chan error)
	go func() {
		for {
			mfs, err := reg.Gather()
			if err != nil {
				scraped <- err
				return
			}
			for _, mf := range mfs {
				for _, s := range mf.GetMetric() {
					if h := s.GetHistogram(); h != nil && h.GetBucket()[len(h.GetBucket())-1].GetCumulativeCount() > h.GetSampleCount() {
						t.Errorf("%s: buckets count more than the count %d", mf.GetName(), h.GetSampleCount())
					}
				}
			}
			select {
			case <-done:
				scraped <- nil
				return
			default:
			}
		}
	}()
	wg.Wait()
	close(done)
	if err := <-scraped; err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if got := testutil.ToFloat64(m.Polls.WithLabelValues(id, "ok")); got != polls {
			t.Errorf("%s: %v polls, want %d", id, got, polls)
		}
		if got := testutil.ToFloat64(m.APIRequests.WithLabelValues(id, "200")); got != 2*polls {
			t.Errorf("%s: %v requests, want %d", id, got, 2*polls)
		}
		if got := testutil.ToFloat64(m.TasksActive.WithLabelValues(id)); got != polls {
			t.Errorf("%s: tasks active %v, want %d", id, got, polls)
		}
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "notifier_poll_duration_seconds" {
			continue
		}
		if len(mf.GetMetric()) != len(ids) {
			t.Errorf("%d poll duration series, want %d", len(mf.GetMetric()), len(ids))
		}
		for _, s := range mf.GetMetric() {
			if h := s.GetHistogram(); h.GetSampleCount() != polls || h.GetSampleSum() != 0.25*polls {
				t.Errorf("poll duration count %d, sum %v, want %d and %v", h.GetSampleCount(), h.GetSampleSum(), polls, 0.25*polls)
			}
		}
	}
}
