package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/VictoriaMetrics/metricsql"

	"notifier/internal/metrics"
)

// grafanaVars stand for the dashboard's variables, so that its queries parse as PromQL.
var grafanaVars = strings.NewReplacer(
	"$__rate_interval", "5m", "$__interval", "1m", "$__range", "6h",
	"$project", ".*", "$job", ".*",
)

// legendLabel is a legend's reference to a label of the series, {{name}}.
var legendLabel = regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`)

// labelValues is Grafana's variable query label_values(metric, label), the metric with
// a selector or not.
var labelValues = regexp.MustCompile(`^label_values\(((\w+)(\{[^}]*\})?),\s*(\w+)\)$`)

// jobVar stands for $job where a test checks that every selector of a query uses it.
const jobVar = "JOB_VARIABLE"

// jobProblems names each metric of expr whose selector does not match job=~"$job": the
// dashboard's job variable must narrow every query, or a panel mixes in other jobs.
func jobProblems(expr string) []string {
	e, err := metricsql.Parse(grafanaVars.Replace(strings.ReplaceAll(expr, "$job", jobVar)))
	if err != nil {
		return []string{fmt.Sprintf("does not parse: %v", err)}
	}
	var problems []string
	metricsql.VisitAll(e, func(x metricsql.Expr) {
		me, ok := x.(*metricsql.MetricExpr)
		if !ok {
			return
		}
		for _, lfs := range me.LabelFilterss {
			if !slices.ContainsFunc(lfs, func(lf metricsql.LabelFilter) bool {
				return lf.Label == "job" && lf.IsRegexp && !lf.IsNegative && lf.Value == jobVar
			}) {
				problems = append(problems, fmt.Sprintf("%s does not select job=~\"$job\"", me.AppendString(nil)))
			}
		}
	})
	return problems
}

type panel struct {
	Title   string  `json:"title"`
	Type    string  `json:"type"`
	Panels  []panel `json:"panels"` // a collapsed row's
	Targets []struct {
		Expr         string `json:"expr"`
		LegendFormat string `json:"legendFormat"`
	} `json:"targets"`
}

// TestDashboard checks that every query of the dashboard and of its variables parses
// and names only metrics and labels the notifier exports, and that it shows what the
// issue asks for.
func TestDashboard(t *testing.T) {
	data, err := os.ReadFile("grafana/notifier.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title      string  `json:"title"`
		UID        string  `json:"uid"`
		Panels     []panel `json:"panels"`
		Templating struct {
			List []struct {
				Name       string `json:"name"`
				Type       string `json:"type"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("notifier.json: %v", err)
	}
	if d.Title == "" || d.UID == "" {
		t.Error("the dashboard needs a title and a uid")
	}
	names := exported(t)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		m := labelValues.FindStringSubmatch(v.Definition)
		if m == nil {
			t.Errorf("variable %s: %q is not label_values(metric, label)", v.Name, v.Definition)
			continue
		}
		if labels, ok := names[m[2]]; !ok || !slices.Contains(labels, m[4]) {
			t.Errorf("variable %s: the notifier exports no %s with label %s", v.Name, m[2], m[4])
		}
		for _, problem := range checkExpr(grafanaVars.Replace(m[1]), names) {
			t.Errorf("variable %s: %s: %s", v.Name, m[1], problem)
		}
		if v.Name != "job" {
			for _, problem := range jobProblems(m[1]) {
				t.Errorf("variable %s: %s", v.Name, problem)
			}
		}
	}
	var all []string
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			walk(p.Panels)
			if p.Type != "row" && len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			for _, tg := range p.Targets {
				all = append(all, tg.Expr)
				for _, problem := range checkExpr(grafanaVars.Replace(tg.Expr), names) {
					t.Errorf("panel %q: %s: %s", p.Title, tg.Expr, problem)
				}
				for _, problem := range jobProblems(tg.Expr) {
					t.Errorf("panel %q: %s", p.Title, problem)
				}
				if strings.Contains(tg.LegendFormat, "{{project}}") {
					t.Errorf("panel %q: legend %s: name the project ({{project_name}}, joined from notifier_project_info)", p.Title, tg.LegendFormat)
				}
				for _, m := range legendLabel.FindAllStringSubmatch(tg.LegendFormat, -1) {
					if use, ok := metrics.DeprecatedLabels[m[1]]; ok {
						t.Errorf("panel %q: legend %s: label %s is deprecated, use %s", p.Title, tg.LegendFormat, m[1], use)
					}
				}
			}
		}
	}
	walk(d.Panels)
	// Polls, API codes and latency, events by type and severity, pending and delivered
	// per receiver, leadership.
	queries := strings.Join(all, "\n")
	for _, want := range []string{"notifier_polls_total", "notifier_api_requests_total", "notifier_poll_duration_seconds_bucket",
		"by (type, severity)", "notifier_pending_events", `notifier_deliveries_total{job=~"$job",result="ok"}`, "notifier_leader",
		"notifier_project_up", "notifier_nats_connected", "group_left (project_name) topk by (project) (1, notifier_project_info"} {
		if !strings.Contains(queries, want) {
			t.Errorf("no panel queries %s", want)
		}
	}
}
