package config

import (
	"strings"
	"testing"
)

const fleetBase = "[[dcs.projects]]\nregion = \"cn-north-4\"\nproject_id = \"0123456789abcdef0123456789abcdef\"\n"

func TestFleetKeysRefused(t *testing.T) {
	for _, c := range []struct{ name, toml, want string }{
		{"ak without sk", fleetBase + "ak_env = \"B_AK\"\n", "dcs.projects[0].sk_env: must be set"},
		{"sk without ak", fleetBase + "sk_file = \"/x\"\n", "dcs.projects[0].ak_env: must be set"},
		{"token alone", fleetBase + "security_token_env = \"B_TOKEN\"\n", "dcs.projects[0].security_token_env: needs"},
		{"ak both", fleetBase + "ak_env = \"B_AK\"\nak_file = \"/x\"\nsk_env = \"B_SK\"\n", "dcs.projects[0].ak_env: set only one"},
		{"budget", "[dcs]\nmax_requests_per_second = 0\n" + fleetBase, "dcs.max_requests_per_second: must be between 0.0167 (one a minute) and 10000, got 0"},
		{"tiny budget", "[dcs]\nmax_requests_per_second = 1e-12\n" + fleetBase, "dcs.max_requests_per_second: must be between 0.0167 (one a minute) and 10000, got 1e-12"},
		{"no regions", "[[dcs.discover]]\nregions = []\n", "dcs.discover[0].regions: must list regions"},
		{"star and more", "[[dcs.discover]]\nregions = [\"*\", \"cn-north-4\"]\n", "dcs.discover[0].regions: \"*\" means every region"},
		{"unknown region", "[[dcs.discover]]\nregions = [\"xx-9\"]\n", "dcs.discover[0].regions[0]: unknown region"},
		{"refresh", "[[dcs.discover]]\nregions = [\"*\"]\nrefresh = \"5s\"\n", "dcs.discover[0].refresh: must be at least 1m"},
		{"iam endpoint", "[[dcs.discover]]\nregions = [\"*\"]\niam_endpoint = \"ftp://x\"\n", "dcs.discover[0].iam_endpoint:"},
		{"discover sk alone", "[[dcs.discover]]\nregions = [\"*\"]\nsk_env = \"A_SK\"\n", "dcs.discover[0].ak_env: must be set"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load([]byte(c.toml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Load: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestFleetKeysAccepted(t *testing.T) {
	c, err := Load([]byte("[[dcs.discover]]\nregions = [\"*\"]\n[[slack.webhooks]]\nname = \"a\"\nurl_env = \"U\"\nprojects = [\"ffffffffffffffffffffffffffffffff\"]\n"))
	if err != nil {
		t.Fatalf("discovery alone, a webhook filtering a discovered project: %v", err)
	}
	if c.DCS.Discover[0].Refresh != DefaultDiscoverRefresh || c.DCS.MaxRequestsPerSecond != 10 {
		t.Errorf("defaults: refresh %s, budget %g", c.DCS.Discover[0].Refresh, c.DCS.MaxRequestsPerSecond)
	}
	if k := c.DCS.DiscoverKeys(0); k.Key != "dcs" || k.AKEnv != "CLOUD_SDK_AK" {
		t.Errorf("discovery without its own keys uses [dcs]: %+v", k)
	}
}

// A project with its own AK/SK reads only those (never the [dcs] token), and an error
// names the project's key and the variable, never a value.
func TestProjectCredentials(t *testing.T) {
	c, err := Load([]byte(fleetBase + "ak_env = \"B_AK\"\nsk_env = \"B_SK\"\n" +
		"[[dcs.projects]]\nregion = \"cn-north-4\"\nproject_id = \"1123456789abcdef0123456789abcdef\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CLOUD_SDK_AK": "a-ak", "CLOUD_SDK_SK": "a-sk", "CLOUD_SDK_SECURITY_TOKEN": "a-token", "B_AK": "b-ak"}
	getenv := func(k string) string { return env[k] }
	err = c.DCS.ReadAllCredentials(getenv)
	if err == nil || !strings.Contains(err.Error(), "dcs.projects[0].sk_env: not set in the environment: B_SK") {
		t.Fatalf("ReadAllCredentials: %v", err)
	}
	if strings.Contains(err.Error(), "b-ak") {
		t.Fatalf("error shows a secret: %v", err)
	}
	env["B_SK"] = "b-sk"
	own, err := c.DCS.ProjectKeys(0).Read(getenv)
	if err != nil || own.AK.Reveal() != "b-ak" || own.SK.Reveal() != "b-sk" || own.SecurityToken != "" {
		t.Fatalf("project 0: %v, ak %q token set %v", err, own.AK.Reveal(), own.SecurityToken != "")
	}
	def, err := c.DCS.ProjectKeys(1).Read(getenv)
	if err != nil || def.AK.Reveal() != "a-ak" || def.SecurityToken.Reveal() != "a-token" {
		t.Fatalf("project 1 uses [dcs]: %v", err)
	}
}

func TestLintUnnamedDiscovery(t *testing.T) {
	c, err := Load([]byte("[[dcs.discover]]\nregions = [\"*\"]\n[[dcs.discover]]\nname = \"b\"\nregions = [\"*\"]\nak_env = \"B_AK\"\nsk_env = \"B_SK\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	ws := c.Lint()
	if len(ws) != 1 || ws[0].Key != "dcs.discover[0].name" {
		t.Errorf("warnings %v, want one about dcs.discover[0].name", ws)
	}
}
