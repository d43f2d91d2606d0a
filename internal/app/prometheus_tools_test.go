package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"notifier/internal/config"
	"notifier/internal/testkit/testutil"
)

// servingPipeline is a notifier on the simulator with everything a scrape can show: the
// nats-kv backend (leadership series) over JetStream, a named project and its /metrics on
// a loopback port. It returns the pipeline and the address of /metrics.
func servingPipeline(t *testing.T) (*pipeline, string) {
	t.Helper()
	p := newPipeline(t, true)
	p.cfg.State.Backend = "nats-kv"
	p.cfg.State.LeaseTTL = config.Duration(time.Second)
	p.cfg.DCS.Projects[0].Name = "prod-eu"
	p.cfg.HTTP.Listen = freeAddr(t)
	return p, p.cfg.HTTP.Listen
}

// The live /metrics of a running notifier passes promtool's lint (the metric names,
// units, help and types Prometheus recommends), and names the project it watches.
func TestMetricsPassPromtoolCheck(t *testing.T) {
	promtool := testutil.Tool(t, "PROMTOOL", "prometheus", "promtool")
	p, addr := servingPipeline(t)
	stop, reg := p.start()
	defer stop()
	p.put("t1", "EXTEND", "FAILED")
	testutil.Eventually(t, "the event delivered", func() bool {
		return metric(t, reg, "notifier_events_total") > 0 && metric(t, reg, "notifier_pending_events") == 0
	})
	body := readURL(t, "http://"+addr+"/metrics")
	cmd := exec.CommandContext(t.Context(), promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
	want := `notifier_project_info{discovered_by="",project="` + pipeProject + `",project_name="prod-eu",region="cn-north-4"} 1`
	if !strings.Contains(string(body), want) {
		t.Errorf("/metrics has no %s", want)
	}
}

// promResult is the answer of Prometheus's query API.
type promResult struct {
	Status   string   `json:"status"`
	Error    string   `json:"error"`
	Warnings []string `json:"warnings"`
	Data     struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

// dashboardVars stand for Grafana's variables as a user of the dashboard would pick them:
// the job Prometheus scrapes the notifier as, its project, and Grafana's intervals for a
// 1 s scrape.
var dashboardVars = strings.NewReplacer(
	"$__rate_interval", "1m", "$__interval", "15s", "$__range", "1h",
	"$job", "notifier", "$project", pipeProject,
)

// Every query of the Grafana dashboard, and of its variables, evaluates without error or
// warning on a real Prometheus scraping a running notifier, and returns data: no panel
// is empty for a metric or label the notifier does not export, and the panels about a
// project name it.
func TestDashboardQueriesAgainstRealPrometheus(t *testing.T) {
	bin := testutil.Tool(t, "PROMETHEUS", "prometheus", "prometheus")
	p, addr := servingPipeline(t)
	stop, reg := p.start()
	defer stop()
	p.put("t1", "EXTEND", "FAILED")
	testutil.Eventually(t, "the event delivered", func() bool {
		return metric(t, reg, "notifier_events_total") > 0 && metric(t, reg, "notifier_pending_events") == 0
	})

	cfg := writeTemp(t, "prometheus.yml", fmt.Sprintf(`global:
  scrape_interval: 1s
scrape_configs:
  - job_name: notifier
    static_configs:
      - targets: [%q]
`, addr))
	data := t.TempDir()
	prom := startProgram(t, bin, func(a string) []string {
		return []string{"--config.file=" + cfg, "--storage.tsdb.path=" + data, "--web.listen-address=" + a}
	}, "/-/ready")
	// A query Prometheus refuses answers 400 or 422 with the error in the same JSON.
	instant := func(q string) promResult {
		var r promResult
		resp, err := http.Get(query(prom.url, "/api/v1/query", "query", q))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			t.Fatalf("%s: %s: %v", q, resp.Status, err)
		}
		return r
	}
	// Two scrapes holding the event at least, so that rate() and increase() have data.
	testutil.Eventually(t, "two scrapes holding the event", func() bool {
		r := instant(`count_over_time(notifier_events_total{job="notifier"}[5m]) >= 2`)
		return r.Status == "success" && len(r.Data.Result) > 0
	})

	raw, err := os.ReadFile("../../deploy/grafana/notifier.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, tg := range d.targets() {
		n++
		q := dashboardVars.Replace(tg.Expr)
		r := instant(q)
		switch {
		case r.Status != "success" || len(r.Warnings) > 0:
			t.Errorf("panel %q: %s: %s %s, warnings %v", tg.panel, q, r.Status, r.Error, r.Warnings)
		case len(r.Data.Result) == 0:
			t.Errorf("panel %q: %s: no data", tg.panel, q)
		case strings.Contains(tg.LegendFormat, "{{project_name}}") && r.Data.Result[0].Metric["project_name"] != "prod-eu":
			t.Errorf("panel %q: %s: %v, want project_name prod-eu", tg.panel, q, r.Data.Result[0].Metric)
		}
	}
	if n < 26 {
		t.Errorf("%d queries in the dashboard, want its 26 at least", n)
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		label, values := labelValues(t, prom.url, dashboardVars.Replace(v.Definition))
		want := map[string]string{"job": "notifier", "project": pipeProject}[label]
		if !slices.Contains(values, want) {
			t.Errorf("variable %s: %s gives %v, want %s among them", v.Name, v.Definition, values, want)
		}
	}
}

// labelValues answers Grafana's label_values(selector, label) with Prometheus's API, as
// Grafana does: the label and its values.
func labelValues(t *testing.T, base, def string) (string, []string) {
	t.Helper()
	inner, ok := strings.CutPrefix(def, "label_values(")
	inner, ok2 := strings.CutSuffix(inner, ")")
	i := strings.LastIndex(inner, ",")
	if !ok || !ok2 || i < 0 {
		t.Fatalf("variable query %s is not label_values(selector, label)", def)
	}
	sel, label := strings.TrimSpace(inner[:i]), strings.TrimSpace(inner[i+1:])
	var r struct {
		Status string   `json:"status"`
		Data   []string `json:"data"`
	}
	getJSON(t, query(base, "/api/v1/label/"+label+"/values", "match[]", sel), &r)
	if r.Status != "success" {
		t.Fatalf("label values of %s: %s", def, r.Status)
	}
	return label, r.Data
}

// dashboard is the Grafana dashboard, as far as its queries go.
type dashboard struct {
	Panels     []dashboardPanel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string `json:"name"`
			Type       string `json:"type"`
			Definition string `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
}

type dashboardPanel struct {
	Title   string           `json:"title"`
	Panels  []dashboardPanel `json:"panels"` // a collapsed row's
	Targets []struct {
		Expr         string `json:"expr"`
		LegendFormat string `json:"legendFormat"`
	} `json:"targets"`
}

type dashboardTarget struct {
	panel, Expr, LegendFormat string
}

// targets lists every query of every panel, in rows too.
func (d dashboard) targets() []dashboardTarget {
	var out []dashboardTarget
	var walk func([]dashboardPanel)
	walk = func(ps []dashboardPanel) {
		for _, p := range ps {
			walk(p.Panels)
			for _, tg := range p.Targets {
				out = append(out, dashboardTarget{p.Title, tg.Expr, tg.LegendFormat})
			}
		}
	}
	walk(d.Panels)
	return out
}
