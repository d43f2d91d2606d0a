package main

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"notifier/internal/dcssim"
)

const (
	probeProject = "0123456789abcdef0123456789abcdef"
	probeOther   = "fedcba9876543210fedcba9876543210"
	probeAK      = "CLIPROBEAKCLIPROBEAK"
	probeSK      = "cli-probe-sk-must-never-leak-01234"
)

// probeConfig writes a configuration with two projects on a simulator that filters on
// begin_time; the second project is unknown to it, so the gateway refuses it. At the end of
// the test, the state directory must not exist: the probe never writes it.
func probeConfig(t *testing.T) string {
	t.Helper()
	sim := dcssim.New(dcssim.Options{AK: probeAK, SK: probeSK, StartParam: "begin_time"})
	now := time.Now().UTC()
	sim.PutAll(probeProject, dcssim.SeedHistory(probeProject, 12, now.Add(-10*24*time.Hour), now.Add(-time.Hour)))
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	url := srv.URL
	t.Setenv("PROBE_CLI_AK", probeAK)
	t.Setenv("PROBE_CLI_SK", probeSK)
	dir := t.TempDir()
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(dir, "state")); !os.IsNotExist(err) {
			t.Errorf("probe touched the state: %v", err)
		}
	})
	return writeFile(t, dir, "probe.toml", `
[state]
path = "`+filepath.Join(dir, "state")+`"

[dcs]
ak_env = "PROBE_CLI_AK"
sk_env = "PROBE_CLI_SK"
max_requests_per_second = 1000 # the simulator's; the default 10 is spent in real time

[[dcs.projects]]
region = "cn-north-4"
project_id = "`+probeProject+`"
endpoint = "`+url+`"

[[dcs.projects]]
region = "cn-north-4"
project_id = "`+probeOther+`"
endpoint = "`+url+`"
`)
}

func TestProbeCommand(t *testing.T) {
	cfg := probeConfig(t)
	t.Run("one usable project", func(t *testing.T) {
		code, stdout, stderr := cli(t, "probe", "--config", cfg, "--project", strings.ToUpper(probeProject))
		if code != exitOK || !strings.Contains(stdout, "begin_time     filters") ||
			!strings.HasSuffix(stdout, "[dcs]\nstart_time_param = \"begin_time\"  # \"auto\" finds it too, at the first poll that sees the window ignored\n") {
			t.Errorf("exit %d\n%s%s", code, stdout, stderr)
		}
	})
	t.Run("every project, one refused", func(t *testing.T) {
		code, stdout, stderr := cli(t, "probe", "--config", cfg)
		if code != exitRuntime || !strings.Contains(stdout, probeOther+" (cn-north-4) at http") ||
			!strings.Contains(stdout, "problem: credential refused: HTTP 401 APIGW.0301") || strings.Contains(stdout+stderr, probeSK) {
			t.Errorf("exit %d\n%s%s", code, stdout, stderr)
		}
	})
	t.Run("json", func(t *testing.T) {
		code, stdout, stderr := cli(t, "probe", "--config", cfg, "--json")
		var rep struct {
			Usable   bool `json:"usable"`
			Projects []struct {
				ProjectID string `json:"project_id"`
				Usable    bool   `json:"usable"`
				Order     string `json:"order"`
				Window    struct {
					Use string `json:"use"`
				} `json:"window"`
			} `json:"projects"`
			ConfigLines []string `json:"config_lines"`
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("exit %d, not JSON: %v\n%s%s", code, err, stdout, stderr)
		}
		if code != exitRuntime || rep.Usable || len(rep.Projects) != 2 || !rep.Projects[0].Usable || rep.Projects[0].Order != "newest_first" ||
			rep.Projects[0].Window.Use != "begin_time" || rep.Projects[1].Usable || len(rep.ConfigLines) == 0 {
			t.Errorf("exit %d, report %+v", code, rep)
		}
	})
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"project not configured", []string{"--config", cfg, "--project", "ffffffffffffffffffffffffffffffff"}, "--project ffffffffffffffffffffffffffffffff is not in dcs.projects"},
		{"no configuration", []string{"--config", cfg + ".missing"}, "probe.toml.missing"},
		{"stray argument", []string{"--config", cfg, "now"}, `unexpected argument "now"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, append([]string{"probe"}, tt.args...)...)
			if code != exitUsage || stdout != "" || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
			}
		})
	}
	t.Run("credentials unset", func(t *testing.T) {
		t.Setenv("PROBE_CLI_SK", "")
		code, _, stderr := cli(t, "probe", "--config", cfg)
		if code != exitUsage || !strings.Contains(stderr, "dcs.sk_env: not set in the environment: PROBE_CLI_SK") {
			t.Errorf("exit %d, %s", code, stderr)
		}
	})
}

// TestProbeDiscovery: with [[dcs.discover]] for two accounts, probe lists each account's
// projects as serve would and probes them; an account whose access key IAM does not know
// makes the run not usable (exit 1) with the key named; --project may name a discovered
// project; the JSON has the discovery section; nothing is written to the state.
func TestProbeDiscovery(t *testing.T) {
	const (
		akB, skB = "CLIPROBEBAKCLIPROBEB", "cli-probe-b-sk-must-never-leak-012"
		a1, b1   = "a1000000000000000000000000000000", "b1000000000000000000000000000000"
	)
	sim := dcssim.New(dcssim.Options{AK: probeAK, SK: probeSK, StartParam: "begin_time"})
	sim.AddAccount(akB, skB)
	now := time.Now().UTC()
	for _, p := range []struct{ owner, id, name string }{{probeAK, a1, "cn-north-4"}, {akB, b1, "cn-east-3"}, {akB, probeOther, "mars-1"}} {
		sim.AddProjectFor(p.owner, p.id, p.name)
		sim.PutAll(p.id, dcssim.SeedHistory(p.id, 12, now.Add(-10*24*time.Hour), now.Add(-time.Hour)))
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Setenv("PROBE_CLI_AK", probeAK)
	t.Setenv("PROBE_CLI_SK", probeSK)
	t.Setenv("PROBE_CLI_B_AK", akB)
	t.Setenv("PROBE_CLI_B_SK", skB)
	dir := t.TempDir()
	stateDir := filepath.Join(dir, "state")
	cfg := writeFile(t, dir, "probe.toml", `
[dcs]
ak_env = "PROBE_CLI_AK"
sk_env = "PROBE_CLI_SK"
max_requests_per_second = 1000

[[dcs.discover]]
name = "acct-a"
regions = ["*"]
iam_endpoint = "`+srv.URL+`"
endpoint = "`+srv.URL+`"

[[dcs.discover]]
name = "acct-b"
regions = ["*"]
ak_env = "PROBE_CLI_B_AK"
sk_env = "PROBE_CLI_B_SK"
iam_endpoint = "`+srv.URL+`"
endpoint = "`+srv.URL+`"

[state]
path = "`+stateDir+`"
`)
	t.Run("every project of both accounts", func(t *testing.T) {
		code, stdout, stderr := cli(t, "probe", "--config", cfg)
		for _, s := range []string{
			"discovery dcs.discover[1] (acct-b, regions *) at " + srv.URL + ": usable\n",
			"  projects       2 listed, 1 to probe and watch, 1 skipped\n",
			"project " + a1 + " (acct-a/cn-north-4, cn-north-4, found by dcs.discover[0]) at " + srv.URL + ": usable\n",
			"project " + b1 + " (acct-b/cn-east-3, cn-east-3, found by dcs.discover[1]) at " + srv.URL + ": usable\n",
		} {
			if !strings.Contains(stdout, s) {
				t.Errorf("stdout lacks %q", s)
			}
		}
		if code != exitOK || !strings.Contains(stderr, "probe: project 2/2 "+b1) {
			t.Errorf("exit %d\n%s%s", code, stdout, stderr)
		}
	})
	t.Run("a discovered project", func(t *testing.T) {
		code, stdout, stderr := cli(t, "probe", "--config", cfg, "--project", b1, "--json")
		var rep struct {
			Usable   bool `json:"usable"`
			Projects []struct {
				ProjectID    string `json:"project_id"`
				DiscoveredBy string `json:"discovered_by"`
				Window       struct {
					Use string `json:"use"`
				} `json:"window"`
			} `json:"projects"`
			Discovery []struct {
				Key     string   `json:"key"`
				Usable  bool     `json:"usable"`
				Listed  int      `json:"projects_listed"`
				Watched []string `json:"projects_watched"`
				Skipped []struct {
					ID, Reason string
				} `json:"projects_skipped"`
			} `json:"discovery"`
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("exit %d, not JSON: %v\n%s%s", code, err, stdout, stderr)
		}
		if code != exitOK || !rep.Usable || len(rep.Projects) != 1 || rep.Projects[0].ProjectID != b1 ||
			rep.Projects[0].DiscoveredBy != "dcs.discover[1]" || rep.Projects[0].Window.Use != "begin_time" || len(rep.Discovery) != 2 ||
			rep.Discovery[1].Listed != 2 || len(rep.Discovery[1].Watched) != 1 || len(rep.Discovery[1].Skipped) != 1 ||
			rep.Discovery[1].Skipped[0].ID != probeOther || rep.Discovery[1].Skipped[0].Reason != "no DCS endpoint known for its region" {
			t.Errorf("exit %d, report %+v\n%s", code, rep, stderr)
		}
	})
	t.Run("an access key IAM does not know", func(t *testing.T) {
		t.Setenv("PROBE_CLI_B_AK", "CLIPROBEUNKNOWNAKXXX")
		code, stdout, stderr := cli(t, "probe", "--config", cfg)
		if code != exitRuntime || !strings.Contains(stdout, "discovery dcs.discover[1] (acct-b, regions *) at "+srv.URL+": NOT usable\n") ||
			!strings.Contains(stdout, "problem: credential refused by IAM: HTTP 401 APIGW.0301") ||
			!strings.Contains(stdout, "the access key in $PROBE_CLI_B_AK is unknown or disabled") ||
			!strings.Contains(stdout, "project "+a1+" (acct-a/cn-north-4") || strings.Contains(stdout+stderr, skB) || strings.Contains(stdout+stderr, probeSK) {
			t.Errorf("exit %d\n%s%s", code, stdout, stderr)
		}
	})
	if _, err := os.Stat(stateDir); !os.IsNotExist(err) {
		t.Errorf("probe touched the state: %v", err)
	}
}
