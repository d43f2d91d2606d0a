package metrics_test

import (
	"flag"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"notifier/internal/metrics"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// notifierOnly gathers the notifier's own families from g, leaving out the Go and
// process collectors, whose values change from one scrape to the next.
func notifierOnly(g prometheus.Gatherer) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		mfs, err := g.Gather()
		var out []*dto.MetricFamily
		for _, mf := range mfs {
			if strings.HasPrefix(mf.GetName(), "notifier_") {
				out = append(out, mf)
			}
		}
		return out, err
	})
}

// scrape returns what the /metrics handler of internal/web serves to a scraper
// accepting accept.
func scrape(t *testing.T, g prometheus.Gatherer, opts promhttp.HandlerOpts, accept string) string {
	t.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(notifierOnly(g), opts))
	defer srv.Close()
	req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return "# Content-Type: " + resp.Header.Get("Content-Type") + "\n" + string(body)
}

// createdSample is an OpenMetrics _created sample, whose value is the time the series
// was created.
var createdSample = regexp.MustCompile(`(?m)^(\S+_created(?:\{.*\})?) (\S+)$`)

// compareGolden compares got with testdata/name, or rewrites it with -update.
func compareGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Errorf("%s: line %d is\n\t%s\nwant\n\t%s", name, i+1, gl[i], wl[i])
				return
			}
		}
		t.Errorf("%s: %d lines, want %d", name, len(gl), len(wl))
	}
}

// The exposition of the per-project families is what dashboards, alerts and recording
// rules read: every name, help, type, label, bucket and series present or absent is kept
// as the golden files in testdata say, in the classic text format, in OpenMetrics (as
// /metrics serves it) and in OpenMetrics with its _created samples, which say which
// series carry a created timestamp (as the protobuf format does too). The golden files
// were written by the client_golang vectors the families were first made of.
func TestExpositionUnchanged(t *testing.T) {
	start := time.Now()
	reg := prometheus.NewPedanticRegistry() // which also checks every series against its family's Desc
	m := metrics.New(reg, "test")
	m.ReloadDone(true, time.Unix(1_700_000_000, 0))
	const (
		a = "0123456789abcdef0123456789abcdef"
		b = "fedcba9876543210fedcba9876543210"
		c = "00000000000000000000000000000001"
		d = "f1ee7000000000000000000000000002"
		e = "f1ee7000000000000000000000000003"
		f = "f1ee7000000000000000000000000004"
	)
	for _, id := range []string{a, b, c, d, e} {
		m.InitProject(id)
	}
	m.InitReceiver("nats")
	m.SetProjects([]metrics.ProjectInfo{
		{ID: a, Name: "prod-eu", Region: "eu-west-101"},
		{ID: b, Name: "acct-b/cn-north-4", Region: "cn-north-4", DiscoveredBy: "dcs.discover[0]"},
		{ID: c, Region: "cn-north-4"},
		{ID: d, Name: "d", Region: "cn-north-4", DiscoveredBy: "dcs.discover[1]"},
		{ID: e, Name: "e", Region: "ap-southeast-1"},
	})

	// Polls of a, b and d.
	m.Polls.WithLabelValues(a, "ok").Inc()
	m.Polls.WithLabelValues(a, "ok").Add(2)
	m.Polls.WithLabelValues(b, "error").Inc()
	m.Polls.WithLabelValues(d, "ok").Add(0.5)
	for _, v := range []float64{0.001, 0.01, 0.015, 0.02, 0.3, 1.5, 81.92, 81.93, 100, -1} {
		m.PollDuration.WithLabelValues(a).Observe(v)
	}
	m.PollDuration.WithLabelValues(b).Observe(2.5)
	m.PollDuration.WithLabelValues(d).Observe(0.04)
	m.PollDuration.WithLabelValues(c).Observe(math.Inf(1))
	m.APIRequests.WithLabelValues(a, "200").Inc()
	m.APIRequests.WithLabelValues(a, "200").Add(4)
	m.APIRequests.WithLabelValues(a, "0").Inc()
	m.APIRequests.WithLabelValues(b, "429").Inc()
	m.APIRequests.WithLabelValues(b, "200").Add(0) // created, never counted
	m.Pages.WithLabelValues(a).Add(3)
	m.Pages.WithLabelValues(d).Inc()
	m.TasksFollowed.WithLabelValues(a).Set(17)
	m.TasksActive.WithLabelValues(a).Set(3)
	m.TasksFollowed.WithLabelValues(b).Set(0)
	m.TasksFollowed.WithLabelValues(e).Set(2)
	m.TasksActive.WithLabelValues(e).Set(-1.25)
	m.SkippedTasks.WithLabelValues(b).Add(4)
	m.WindowIgnored.WithLabelValues(b).Inc()
	m.WindowUnfiltered.WithLabelValues(c).Inc()
	m.FullListings.WithLabelValues(c).Add(2)
	m.SetLastSuccess(a, time.Unix(1_800_000_000, 250_000_000))
	m.SetLastSuccess(d, time.Unix(1_800_000_100, 0))
	m.LastSuccess.WithLabelValues(e).Set(1_800_000_200)

	// A reload: e is no longer watched, b is renamed and f is new.
	m.Keep([]string{a, b, c, d})
	for _, id := range []string{a, b, c, d, f} {
		m.InitProject(id)
	}
	m.SetProjects([]metrics.ProjectInfo{
		{ID: a, Name: "prod-eu", Region: "eu-west-101"},
		{ID: b, Name: "acct-b-renamed/cn-north-4", Region: "cn-north-4", DiscoveredBy: "dcs.discover[0]"},
		{ID: c, Region: "cn-north-4"},
		{ID: d, Name: "d", Region: "cn-north-4", DiscoveredBy: "dcs.discover[1]"},
		{ID: f, Name: "f", Region: "cn-north-4"},
	})
	m.Polls.WithLabelValues(f, "ok").Inc()
	m.TasksActive.WithLabelValues(f).Set(1)

	served := promhttp.HandlerOpts{EnableOpenMetrics: true} // as internal/web serves /metrics
	compareGolden(t, "exposition.txt", scrape(t, reg, served, "text/plain;version=0.0.4"))
	compareGolden(t, "exposition.om.txt", scrape(t, reg, served, "application/openmetrics-text;version=1.0.0"))

	created := scrape(t, reg, promhttp.HandlerOpts{EnableOpenMetrics: true, EnableOpenMetricsTextCreatedSamples: true},
		"application/openmetrics-text;version=1.0.0")
	end := time.Now()
	created = createdSample.ReplaceAllStringFunc(created, func(s string) string {
		sm := createdSample.FindStringSubmatch(s)
		v, err := strconv.ParseFloat(sm[2], 64)
		if err != nil || v < float64(start.Unix()) || v > float64(end.Unix()+1) {
			t.Errorf("%s: created at %s, not during the test", sm[1], sm[2])
		}
		return sm[1] + " CREATED"
	})
	compareGolden(t, "exposition.created.om.txt", created)
}
