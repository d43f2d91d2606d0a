package deploy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/VictoriaMetrics/metricsql"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"notifier/internal/metrics"
)

// recorder is a Registerer that keeps what is registered, so that every family can be
// described, with or without a series yet.
type recorder struct {
	*prometheus.Registry
	cs []prometheus.Collector
}

func (r *recorder) Register(c prometheus.Collector) error {
	r.cs = append(r.cs, c)
	return r.Registry.Register(c)
}

func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

var (
	descName   = regexp.MustCompile(`fqName: "([^"]+)"`)
	descLabels = regexp.MustCompile(`variableLabels: \{([^}]*)\}`)
)

// targetLabels are the labels Prometheus adds to every scraped series.
var targetLabels = []string{"instance", "job"}

// exported returns every series name the notifier exports, with its label names: the
// families metrics.New registers (the Go and process collectors included), named as a
// scrape shows them (a histogram as _bucket, _sum and _count).
func exported(t *testing.T) map[string][]string {
	t.Helper()
	r := &recorder{Registry: prometheus.NewRegistry()}
	m := metrics.New(r, "test")
	// A series of each labelled family, so that Gather says what type it is.
	m.InitProject("p")
	m.InitReceiver("nats")
	m.SetProbes(metrics.Probes{ProjectUp: func() map[string]bool { return map[string]bool{"p": true} },
		NATSConnected: func() bool { return true }})
	types := map[string]dto.MetricType{}
	mfs, err := r.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		types[mf.GetName()] = mf.GetType()
	}
	out := map[string][]string{}
	ch := make(chan *prometheus.Desc, 64)
	go func() {
		for _, c := range r.cs {
			c.Describe(ch)
		}
		close(ch)
	}()
	for d := range ch {
		s := d.String()
		n := descName.FindStringSubmatch(s)
		if n == nil {
			t.Fatalf("cannot read the name of %s", s)
		}
		var labels []string
		if l := descLabels.FindAllStringSubmatch(s, -1); len(l) > 0 && l[len(l)-1][1] != "" {
			labels = strings.Split(l[len(l)-1][1], ",")
		}
		labels = append(labels, targetLabels...)
		switch types[n[1]] {
		case dto.MetricType_HISTOGRAM:
			out[n[1]+"_bucket"] = append(slices.Clone(labels), "le")
			out[n[1]+"_sum"], out[n[1]+"_count"] = labels, labels
		case dto.MetricType_SUMMARY:
			out[n[1]] = append(slices.Clone(labels), "quantile")
			out[n[1]+"_sum"], out[n[1]+"_count"] = labels, labels
		default:
			out[n[1]] = labels
		}
	}
	for _, want := range []string{"notifier_polls_total", "notifier_poll_duration_seconds_bucket", "notifier_project_up", "go_goroutines"} {
		if out[want] == nil {
			t.Fatalf("exported() misses %s: %v", want, out)
		}
	}
	return out
}

// promqlFuncs are the functions of PromQL (metricsql accepts MetricsQL's many more).
var promqlFuncs = strings.Fields(`abs absent absent_over_time avg_over_time ceil changes clamp clamp_max
clamp_min count_over_time day_of_month day_of_week day_of_year days_in_month delta deriv exp floor
histogram_avg histogram_count histogram_fraction histogram_quantile histogram_stddev histogram_stdvar
histogram_sum holt_winters hour idelta increase irate label_join label_replace last_over_time ln log10
log2 mad_over_time max_over_time min_over_time minute month predict_linear present_over_time
quantile_over_time rate resets round scalar sgn sort sort_by_label sort_by_label_desc sort_desc sqrt
stddev_over_time stdvar_over_time sum_over_time time timestamp vector year
sum min max avg group stddev stdvar count count_values bottomk topk quantile limitk limit_ratio`)

// checkExpr parses a PromQL expression and returns a problem for each thing Prometheus
// would refuse or that names what the notifier does not export: a metric, a label in a
// selector or in by/on/ignoring, a function that is not PromQL's, a range function
// without a range. A deprecated label (metrics.DeprecatedLabels) is a problem too: the
// rules and the dashboard must outlive its removal.
func checkExpr(expr string, names map[string][]string) []string {
	e, err := metricsql.Parse(expr)
	if err != nil {
		return []string{fmt.Sprintf("does not parse: %v", err)}
	}
	var problems []string
	if metricsql.IsLikelyInvalid(e) {
		problems = append(problems, "an implicit conversion PromQL refuses (a range function without [range]?)")
	}
	var used []string // label names of every metric used
	metricsql.VisitAll(e, func(x metricsql.Expr) {
		switch x := x.(type) {
		case *metricsql.MetricExpr:
			for _, lfs := range x.LabelFilterss {
				name := ""
				for _, lf := range lfs {
					if lf.Label == "__name__" {
						name = lf.Value
					}
				}
				labels, ok := names[name]
				if !ok {
					problems = append(problems, fmt.Sprintf("metric %q is not exported by the notifier", name))
					continue
				}
				used = append(used, labels...)
				for _, lf := range lfs {
					if lf.Label != "__name__" && !slices.Contains(labels, lf.Label) {
						problems = append(problems, fmt.Sprintf("%s has no label %q", name, lf.Label))
					}
					if use, ok := metrics.DeprecatedLabels[lf.Label]; ok {
						problems = append(problems, fmt.Sprintf("%s: label %q is deprecated, use %q", name, lf.Label, use))
					}
				}
			}
		case *metricsql.FuncExpr:
			if !slices.Contains(promqlFuncs, x.Name) {
				problems = append(problems, fmt.Sprintf("%s is not a PromQL function", x.Name))
			}
			if metricsql.IsRollupFunc(x.Name) {
				i := metricsql.GetRollupArgIdx(x)
				if re, ok := x.Args[i].(*metricsql.RollupExpr); !ok || re.Window == nil {
					problems = append(problems, fmt.Sprintf("%s needs a [range]", x.Name))
				}
			}
		case *metricsql.AggrFuncExpr:
			if !slices.Contains(promqlFuncs, x.Name) || x.Limit != 0 {
				problems = append(problems, fmt.Sprintf("%s is not a PromQL aggregation", x.Name))
			}
		}
	})
	metricsql.VisitAll(e, func(x metricsql.Expr) {
		var mods []metricsql.ModifierExpr
		switch x := x.(type) {
		case *metricsql.AggrFuncExpr:
			mods = append(mods, x.Modifier)
		case *metricsql.BinaryOpExpr:
			mods = append(mods, x.GroupModifier, x.JoinModifier)
		}
		for _, m := range mods {
			for _, l := range m.Args {
				if !slices.Contains(used, l) {
					problems = append(problems, fmt.Sprintf("%s (%s): no metric in the expression has that label", m.Op, l))
				}
				if use, ok := metrics.DeprecatedLabels[l]; ok {
					problems = append(problems, fmt.Sprintf("%s (%s): the label is deprecated, use %s", m.Op, l, use))
				}
			}
		}
	})
	return problems
}

// The checker itself refuses what it must, so a green test means something.
func TestCheckExprRefuses(t *testing.T) {
	names := exported(t)
	for _, tt := range []struct{ name, expr, want string }{
		{"unknown metric", `notifier_polls{project="x"}`, `metric "notifier_polls" is not exported`},
		{"unknown label", `notifier_polls_total{sink="x"}`, `has no label "sink"`},
		{"unknown by label", `sum by (sink) (notifier_polls_total)`, `by (sink)`},
		{"deprecated label", `notifier_pending_events{sink="x"}`, `label "sink" is deprecated, use "receiver"`},
		{"deprecated by label", `sum by (sink) (notifier_pending_events)`, `by (sink): the label is deprecated, use receiver`},
		{"receiver", `sum by (receiver) (increase(notifier_deliveries_total{receiver="x",result="ok"}[5m]))`, ``},
		{"no range", `rate(notifier_polls_total)`, `rate needs a [range]`},
		{"not PromQL", `rollup_rate(notifier_polls_total[5m])`, `not a PromQL function`},
		{"syntax", `sum by (project) (notifier_polls_total`, `does not parse`},
		{"fine", `sum by (project, le) (rate(notifier_poll_duration_seconds_bucket{job="n"}[5m]))`, ``},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(checkExpr(tt.expr, names), "; ")
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("checkExpr(%s) = %q, want %q", tt.expr, got, tt.want)
			}
		})
	}
}

// A family that still carries a deprecated label carries its replacement too, so that
// rules and dashboards can move to it before the deprecated one is removed.
func TestDeprecatedLabelsHaveTheirReplacement(t *testing.T) {
	found := 0
	for name, labels := range exported(t) {
		for old, use := range metrics.DeprecatedLabels {
			if slices.Contains(labels, old) {
				found++
				if !slices.Contains(labels, use) {
					t.Errorf("%s has the deprecated label %s but not %s", name, old, use)
				}
			}
		}
	}
	if found == 0 && len(metrics.DeprecatedLabels) > 0 {
		t.Error("no family carries a deprecated label: remove it from metrics.DeprecatedLabels")
	}
}
