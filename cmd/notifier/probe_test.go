package main

import (
	"encoding/json"
	"net/http/httptest"
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
// begin_time; the second project is unknown to it, so the gateway refuses it.
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
	return writeFile(t, t.TempDir(), "probe.toml", `
[dcs]
ak_env = "PROBE_CLI_AK"
sk_env = "PROBE_CLI_SK"

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
