package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"notifier/internal/testkit/testutil"
)

// The real promtool loads the rules as Prometheus does and runs their unit tests
// (prometheus/alerts_test.yml): every alert fires when it must, with its labels and
// annotations, not before its for: is over, and not when it must not.
func TestRulesWithPromtool(t *testing.T) {
	promtool := testutil.Tool(t, "PROMTOOL", "prometheus", "promtool")
	for _, args := range [][]string{
		{"check", "rules", "prometheus/alerts.yml"},
		{"test", "rules", "prometheus/alerts_test.yml"},
	} {
		out, err := exec.CommandContext(t.Context(), promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// ruleTests is promtool's rule unit-test file, as far as these checks read it.
type ruleTests struct {
	RuleFiles          []string       `yaml:"rule_files"`
	EvaluationInterval model.Duration `yaml:"evaluation_interval"`
	Tests              []struct {
		Name      string `yaml:"name"`
		AlertRule []struct {
			EvalTime  model.Duration `yaml:"eval_time"`
			Alertname string         `yaml:"alertname"`
			ExpAlerts []struct {
				ExpLabels      map[string]string `yaml:"exp_labels"`
				ExpAnnotations map[string]string `yaml:"exp_annotations"`
			} `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

// Every alert of alerts.yml has unit tests in alerts_test.yml (which promtool runs, above):
// one where it fires with its labels and every annotation, one where it does not, and,
// for an alert with a for:, one an evaluation before it fires in the same series, where it
// is still pending. This check needs no promtool, so a rule added without its tests fails
// everywhere.
func TestEveryAlertHasUnitTests(t *testing.T) {
	rules := readRules(t)
	data, err := os.ReadFile("prometheus/alerts_test.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f ruleTests
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatalf("alerts_test.yml: %v", err)
	}
	if len(f.RuleFiles) != 1 || f.RuleFiles[0] != "alerts.yml" || f.EvaluationInterval == 0 {
		t.Fatalf("alerts_test.yml: rule_files %v, evaluation_interval %v: want [alerts.yml] and an interval", f.RuleFiles, f.EvaluationInterval)
	}
	fires, quiet := map[string][]moment{}, map[string][]moment{}
	for _, g := range f.Tests {
		for _, a := range g.AlertRule {
			if _, ok := rules[a.Alertname]; !ok {
				t.Errorf("test %q: no alert %s in alerts.yml", g.Name, a.Alertname)
			}
			if len(a.ExpAlerts) == 0 {
				quiet[a.Alertname] = append(quiet[a.Alertname], moment{g.Name, a.EvalTime})
				continue
			}
			fires[a.Alertname] = append(fires[a.Alertname], moment{g.Name, a.EvalTime})
			for _, e := range a.ExpAlerts {
				want := rules[a.Alertname].Annotations
				if len(e.ExpAnnotations) != len(want) || e.ExpLabels["severity"] == "" {
					t.Errorf("test %q: %s at %v expects annotations %v and labels %v: want every annotation (%d) and the severity",
						g.Name, a.Alertname, a.EvalTime, e.ExpAnnotations, e.ExpLabels, len(want))
				}
			}
		}
	}
	for name, r := range rules {
		switch {
		case len(fires[name]) == 0:
			t.Errorf("%s: no unit test where it fires", name)
		case len(quiet[name]) == 0:
			t.Errorf("%s: no unit test where it does not fire", name)
		case r.For != "" && !pendingBefore(fires[name], quiet[name], f.EvaluationInterval):
			t.Errorf("%s: no unit test where it is quiet one evaluation before it fires (for: %s)", name, r.For)
		}
	}
}

// moment is an evaluation of a unit test: the test's name and the time.
type moment struct {
	group string
	at    model.Duration
}

// pendingBefore says whether some moment an alert fires follows, one evaluation later in
// the same test, a moment it does not.
func pendingBefore(fires, quiet []moment, every model.Duration) bool {
	for _, f := range fires {
		for _, q := range quiet {
			if q.group == f.group && q.at+every == f.at {
				return true
			}
		}
	}
	return false
}

// readRules returns the alerts of alerts.yml by name.
func readRules(t *testing.T) map[string]rule {
	t.Helper()
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
	out := map[string]rule{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				out[r.Alert] = r
			}
		}
	}
	return out
}

var (
	headingRE = regexp.MustCompile(`(?m)^#{1,6} (.+)$`)
	notSlugRE = regexp.MustCompile(`[^\p{L}\p{N} _-]`)
	runbookRE = regexp.MustCompile(`(^|/)docs/operations\.md#([\w-]+)$`)
)

// Every alert's runbook_url leads to its own heading of docs/operations.md (a prefix, such
// as where a deployment serves the docs, may come before docs/).
func TestRunbooksExist(t *testing.T) {
	doc, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, m := range headingRE.FindAllStringSubmatch(string(doc), -1) {
		anchors[strings.ReplaceAll(notSlugRE.ReplaceAllString(strings.ToLower(m[1]), ""), " ", "-")] = true
	}
	seen := map[string]string{}
	for name, r := range readRules(t) {
		m := runbookRE.FindStringSubmatch(r.Annotations["runbook_url"])
		switch {
		case m == nil:
			t.Errorf("%s: runbook_url %q does not point into docs/operations.md", name, r.Annotations["runbook_url"])
		case !anchors[m[2]]:
			t.Errorf("%s: runbook_url %q: no such heading in docs/operations.md", name, r.Annotations["runbook_url"])
		case seen[m[2]] != "":
			t.Errorf("%s: runbook_url %q is %s's too", name, r.Annotations["runbook_url"], seen[m[2]])
		default:
			seen[m[2]] = name
		}
	}
}
