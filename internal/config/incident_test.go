package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"notifier/internal/sinks/pagerduty"
)

const incidentBase = `
[[dcs.projects]]
region = "cn-north-4"
project_id = "0123456789abcdef0123456789abcdef"
`

func TestIncidentReceiversDefaults(t *testing.T) {
	c, err := Load([]byte(incidentBase + `
[[pagerduty]]
name = "pd-dcs"
routing_key_env = "PD_ROUTING_KEY"
projects = ["0123456789ABCDEF0123456789ABCDEF"]

[[alertmanager]]
name = "am"
url = "http://am-1:9093/, http://am-2:9093"
`))
	if err != nil {
		t.Fatal(err)
	}
	pd, am := c.PagerDuty[0], c.Alertmanager[0]
	if pd.URL != pagerduty.DefaultURL || pd.MinSeverity != "critical" || pd.MaxPending != DefaultMaxPending || pd.Projects[0] != "0123456789abcdef0123456789abcdef" {
		t.Errorf("pagerduty defaults: %+v", pd)
	}
	if am.MinSeverity != "warning" || am.ResendInterval.D() != time.Minute || am.FailedTTL.D() != 24*time.Hour || am.MaxPending != DefaultMaxPending {
		t.Errorf("alertmanager defaults: %+v", am)
	}
	if got := am.URLs(); !slices.Equal(got, []string{"http://am-1:9093", "http://am-2:9093"}) {
		t.Errorf("URLs = %v", got)
	}
	var kinds []string
	for _, r := range c.Receivers() {
		kinds = append(kinds, r.Name+":"+string(r.Kind))
		if r.Kind != "nats" && !r.Incidents {
			t.Errorf("%s is not marked as following incidents", r.Name)
		}
	}
	if want := []string{"nats:nats", "pd-dcs:pagerduty", "am:alertmanager"}; !slices.Equal(kinds, want) {
		t.Errorf("receivers %v, want %v", kinds, want)
	}
}

func TestIncidentReceiversErrors(t *testing.T) {
	tests := []struct {
		name, toml, want string
	}{
		{"routing key missing", "[[pagerduty]]\nname = \"pd\"\n", "pagerduty[0].routing_key_env: must be set (or pagerduty[0].routing_key_file)"},
		{"routing key twice", "[[pagerduty]]\nname = \"pd\"\nrouting_key_env = \"A\"\nrouting_key_file = \"/x\"\n", "pagerduty[0].routing_key_env: set only one of"},
		{"pagerduty url", "[[pagerduty]]\nname = \"pd\"\nrouting_key_env = \"A\"\nurl = \"events.pagerduty.com\"\n", "pagerduty[0].url: must be an absolute URL"},
		{"pagerduty severity", "[[pagerduty]]\nname = \"pd\"\nrouting_key_env = \"A\"\nmin_severity = \"error\"\n", `pagerduty[0].min_severity: must be one of info, warning, critical, got "error"`},
		{"pagerduty name", "[[pagerduty]]\nrouting_key_env = \"A\"\n", "pagerduty[0].name: required"},
		{"name shared across kinds", "[[pagerduty]]\nname = \"x\"\nrouting_key_env = \"A\"\n[[alertmanager]]\nname = \"x\"\nurl = \"http://am:9093\"\n", `alertmanager[0].name: duplicate of pagerduty[0].name "x"`},
		{"alertmanager url missing", "[[alertmanager]]\nname = \"am\"\n", "alertmanager[0].url: must be set"},
		{"alertmanager url bad", "[[alertmanager]]\nname = \"am\"\nurl = \"http://a:9093, ftp://b\"\n", `alertmanager[0].url: URL 2 of 2 scheme must be one of http, https, got "ftp"`},
		{"resend interval", "[[alertmanager]]\nname = \"am\"\nurl = \"http://a\"\nresend_interval = \"10ms\"\n", "alertmanager[0].resend_interval: must be at least 1s"},
		{"failed ttl", "[[alertmanager]]\nname = \"am\"\nurl = \"http://a\"\nfailed_ttl = \"0s\"\n", "alertmanager[0].failed_ttl: must be positive"},
		{"failed ttl is per entry", "[alertmanager]\nfailed_ttl = \"1h\"\n", "alertmanager"},
		{"basic auth half", "[[alertmanager]]\nname = \"am\"\nurl = \"http://a\"\nbasic_auth_user_env = \"U\"\n", "alertmanager[0].basic_auth_user_env: basic auth needs both"},
		{"basic and bearer", "[[alertmanager]]\nname = \"am\"\nurl = \"http://a\"\nbasic_auth_user_env = \"U\"\nbasic_auth_password_env = \"P\"\nbearer_token_env = \"T\"\n", "alertmanager[0].bearer_token_env: set either basic auth or a bearer token"},
		{"unknown project", "[[alertmanager]]\nname = \"am\"\nurl = \"http://a\"\nprojects = [\"ffffffffffffffffffffffffffffffff\"]\n", `alertmanager[0].projects[0]: unknown project`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load([]byte(incidentBase + tt.toml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestIncidentEnvironmentIsChecked(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load([]byte(incidentBase + `
[[pagerduty]]
name = "pd"
routing_key_env = "PD_KEY"
[[alertmanager]]
name = "am"
url = "http://a"
bearer_token_file = "` + filepath.Join(dir, "missing") + `"
tls_ca_file = "` + ca + `"
`))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CLOUD_SDK_AK": "ak", "CLOUD_SDK_SK": "sk", "PD_KEY": ""}
	err = c.CheckEnvironment(func(k string) string { return env[k] })
	for _, want := range []string{"pagerduty[0].routing_key_env: secret: environment variable PD_KEY is empty or unset (receiver \"pd\")",
		"alertmanager[0].bearer_token_file:", "alertmanager[0].tls_ca_file: " + ca + " holds no PEM certificate"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want one containing %q", err, want)
		}
	}
	env["PD_KEY"] = "R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY32"
	if err := c.CheckEnvironment(func(k string) string { return env[k] }); err == nil || strings.Contains(err.Error(), "pagerduty") ||
		strings.Contains(err.Error(), env["PD_KEY"]) {
		t.Errorf("err = %v, want only the alertmanager's problems, and never the routing key", err)
	}
}

// Lint looks at the on-call receivers' filters too, but never says one gets nothing: it
// gets what ends its incidents.
func TestLintCoversIncidentReceivers(t *testing.T) {
	c, err := Load([]byte(incidentBase + `
[[pagerduty]]
name = "pd"
routing_key_env = "PD_KEY"
statuses = ["SUCCESS", "failed"]
`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range c.Lint() {
		got = append(got, w.String())
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "pagerduty[0].statuses[1]: ") {
		t.Errorf("warnings %q, want one about pagerduty[0].statuses[1]", got)
	}
}
