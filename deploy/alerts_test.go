package deploy

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"notifier/internal/metrics"
)

// ruleFile is Prometheus's rule file format (rulefmt), strictly: an unknown key is an
// error, as it is for Prometheus.
type ruleFile struct {
	Groups []struct {
		Name     string `yaml:"name"`
		Interval string `yaml:"interval"`
		Limit    int    `yaml:"limit"`
		Rules    []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Record        string            `yaml:"record"`
	Alert         string            `yaml:"alert"`
	Expr          string            `yaml:"expr"`
	For           string            `yaml:"for"`
	KeepFiringFor string            `yaml:"keep_firing_for"`
	Labels        map[string]string `yaml:"labels"`
	Annotations   map[string]string `yaml:"annotations"`
}

// templateFuncs are the names Prometheus's alert templates know, enough to parse and
// run a template against a sample alert.
var templateFuncs = template.FuncMap{
	"humanize": fmt.Sprint, "humanize1024": fmt.Sprint, "humanizeDuration": fmt.Sprint,
	"humanizePercentage": fmt.Sprint, "humanizeTimestamp": fmt.Sprint, "toTime": fmt.Sprint,
	"title": strings.ToTitle, "toUpper": strings.ToUpper, "toLower": strings.ToLower,
	"match": regexp.MatchString, "reReplaceAll": func(a, b, c string) string { return c },
	"stripPort": fmt.Sprint, "stripDomain": fmt.Sprint, "safeHtml": fmt.Sprint,
	"externalURL": func() string { return "" }, "pathPrefix": func() string { return "" },
}

// labelRef is a template's reference to one of the alert's labels.
var labelRef = regexp.MustCompile(`\$labels\.(\w+)`)

// checkTemplate runs a label or annotation template as Prometheus would (with $labels
// and $value defined) against a sample alert, and refuses a deprecated label (which a
// template would otherwise quietly print as "" once the label is gone).
func checkTemplate(text string) error {
	for _, m := range labelRef.FindAllStringSubmatch(text, -1) {
		if use, ok := metrics.DeprecatedLabels[m[1]]; ok {
			return fmt.Errorf("$labels.%s is deprecated: use $labels.%s", m[1], use)
		}
	}
	const defs = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$value := .Value}}"
	tmpl, err := template.New("t").Funcs(templateFuncs).Option("missingkey=zero").Parse(defs + text)
	if err != nil {
		return err
	}
	data := struct {
		Labels, ExternalLabels map[string]string
		Value                  float64
	}{map[string]string{"project": "p", "project_name": "prod-eu", "receiver": "r", "shard": "0", "instance": "i"}, nil, 1}
	return tmpl.Execute(&bytes.Buffer{}, data)
}

// TestAlertRules checks alerts.yml as Prometheus loads a rule file: its structure, names,
// durations, templates and expressions, and that every metric an expression names is
// exported by the notifier. The alerts the issue asks for are all there.
func TestAlertRules(t *testing.T) {
	data, err := os.ReadFile("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f ruleFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("alerts.yml: %v", err)
	}
	names := exported(t)
	groups, alerts := map[string]bool{}, map[string]string{}
	for gi, g := range f.Groups {
		if g.Name == "" || groups[g.Name] {
			t.Errorf("groups[%d]: name %q empty or repeated", gi, g.Name)
		}
		groups[g.Name] = true
		checkDuration(t, fmt.Sprintf("group %s: interval", g.Name), g.Interval)
		for ri, r := range g.Rules {
			where := fmt.Sprintf("group %s, rules[%d] %s%s", g.Name, ri, r.Alert, r.Record)
			switch {
			case (r.Alert == "") == (r.Record == ""):
				t.Errorf("%s: exactly one of alert and record", where)
			case r.Record != "" && !model.IsValidLegacyMetricName(r.Record):
				t.Errorf("%s: invalid record name", where)
			case r.Record != "" && (r.For != "" || r.Annotations != nil):
				t.Errorf("%s: a recording rule has no for or annotations", where)
			case r.Alert != "" && alerts[r.Alert] != "":
				t.Errorf("%s: alert name repeated", where)
			}
			alerts[r.Alert] = r.Expr
			checkDuration(t, where+": for", r.For)
			checkDuration(t, where+": keep_firing_for", r.KeepFiringFor)
			for k, v := range r.Labels {
				if !model.LabelName(k).IsValidLegacy() {
					t.Errorf("%s: invalid label name %q", where, k)
				}
				if err := checkTemplate(v); err != nil {
					t.Errorf("%s: label %s: %v", where, k, err)
				}
			}
			for k, v := range r.Annotations {
				if !model.LabelName(k).IsValidLegacy() {
					t.Errorf("%s: invalid annotation name %q", where, k)
				}
				if err := checkTemplate(v); err != nil {
					t.Errorf("%s: annotation %s: %v", where, k, err)
				}
			}
			if r.Alert != "" && (r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" ||
				r.Annotations["runbook_url"] == "") {
				t.Errorf("%s: every alert has a severity, a summary, a description and a runbook_url", where)
			}
			// An alert about a project names it: its expression joins on notifier_project_info.
			if strings.Contains(r.Annotations["summary"], "$labels.project") &&
				!strings.Contains(r.Expr, "group_left (project_name) topk by (project) (1, notifier_project_info)") {
				t.Errorf("%s: about a project, but its expression does not take project_name from notifier_project_info", where)
			}
			if strings.TrimSpace(r.Expr) == "" {
				t.Errorf("%s: no expr", where)
			}
			for _, p := range checkExpr(r.Expr, names) {
				t.Errorf("%s: expr %q: %s", where, r.Expr, p)
			}
		}
	}
	// What the issue asks for: a project not watched, a receiver not delivering, events
	// dropped, state not saved, config reload failed, no leader (nats-kv); a project never
	// read has its own alert.
	for _, want := range []struct{ alert, metric string }{
		{"NotifierProjectNotWatched", "notifier_project_up"},
		{"NotifierProjectNeverRead", "notifier_last_successful_poll_timestamp_seconds) == 0"},
		{"NotifierReceiverNotDelivering", "notifier_pending_events"},
		{"NotifierEventsDropped", `result="dropped"`},
		{"NotifierStateNotSaved", "notifier_state_save_errors_total"},
		{"NotifierConfigReloadFailed", "notifier_config_last_reload_successful"},
		{"NotifierNoLeader", "notifier_leader"},
	} {
		if !strings.Contains(alerts[want.alert], want.metric) {
			t.Errorf("alert %s missing or not on %s", want.alert, want.metric)
		}
	}
}

func checkDuration(t *testing.T, where, d string) {
	t.Helper()
	if d == "" {
		return
	}
	if v, err := model.ParseDuration(d); err != nil || time.Duration(v) <= 0 {
		t.Errorf("%s: %q is not a Prometheus duration", where, d)
	}
}

// The template checker refuses what it must, so a green TestAlertRules means something.
func TestCheckTemplateRefuses(t *testing.T) {
	for _, tt := range []struct{ name, text, want string }{
		{"fine", `Receiver {{ $labels.receiver }} holds {{ $value | humanize }}`, ``},
		{"deprecated label", `Receiver {{ $labels.sink }}`, `$labels.sink is deprecated: use $labels.receiver`},
		{"syntax", `{{ $labels.receiver `, `unclosed action`},
		{"unknown function", `{{ $value | nope }}`, `function "nope" not defined`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if err := checkTemplate(tt.text); err != nil {
				got = err.Error()
			}
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("checkTemplate(%s) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}
