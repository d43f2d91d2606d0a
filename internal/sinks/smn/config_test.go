package smn_test

import (
	"strings"
	"testing"

	"notifier/internal/config"
)

const dcsProject = "[[dcs.projects]]\nregion = \"cn-north-4\"\nproject_id = \"0123456789abcdef0123456789abcdef\"\n\n"

func TestConfigErrorsNameTheKey(t *testing.T) {
	const good = "urn:smn:cn-north-4:0123456789abcdef0123456789abcdef:dcs-alerts"
	for _, tc := range []struct {
		name, entry, want string
	}{
		{"no urn", `name = "s"`, "smn[0].topic_urn: must be set"},
		{"bad urn", `name = "s"` + "\n" + `topic_urn = "arn:aws:sns:us-east-1:123:t"`, "smn[0].topic_urn: must be urn:smn:{region}:{project_id}:{topic}"},
		{"short project id", `name = "s"` + "\n" + `topic_urn = "urn:smn:cn-north-4:0123:t"`, "smn[0].topic_urn: must be urn:smn"},
		{"region differs", `name = "s"` + "\n" + `topic_urn = "` + good + `"` + "\n" + `region = "cn-east-3"`,
			`smn[0].region: "cn-east-3" is not the region of topic_urn (cn-north-4)`},
		{"unknown region", `name = "s"` + "\n" + `topic_urn = "urn:smn:xx-nowhere-1:0123456789abcdef0123456789abcdef:t"`,
			`smn[0].region: unknown region "xx-nowhere-1" for SMN (set endpoint`},
		{"bad endpoint", `name = "s"` + "\n" + `topic_urn = "` + good + `"` + "\n" + `endpoint = "smn.example"`, "smn[0].endpoint:"},
		{"ak without sk", `name = "s"` + "\n" + `topic_urn = "` + good + `"` + "\n" + `ak_env = "SMN_AK"`, "smn[0].sk_env: must be set"},
		{"env and file", `name = "s"` + "\n" + `topic_urn = "` + good + `"` + "\n" + `ak_env = "A"` + "\n" + `ak_file = "/a"` + "\n" + `sk_env = "S"`,
			"smn[0].ak_env: set only one of smn[0].ak_env and smn[0].ak_file"},
		{"token alone", `name = "s"` + "\n" + `topic_urn = "` + good + `"` + "\n" + `security_token_env = "T"`, "smn[0].security_token_env: needs smn[0].ak_env"},
		{"zero timeout", `name = "s"` + "\n" + `topic_urn = "` + good + `"` + "\n" + `timeout = "0s"`, "smn[0].timeout"},
		{"unknown key", `name = "s"` + "\n" + `topic_urn = "` + good + `"` + "\n" + `topic = "x"`, "topic"},
		{"bad template", `name = "s"` + "\n" + `topic_urn = "` + good + `"` + "\n" + `template = "{{.Nope"`, "smn[0].template"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Load([]byte(dcsProject + "[[smn]]\n" + tc.entry + "\n"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := config.Load([]byte(dcsProject + "[[smn]]\nname = \"s\"\ntopic_urn = \"urn:smn:cn-north-4:0123456789abcdef0123456789abcdef:dcs-alerts\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.SMN[0]
	if c.Region != "cn-north-4" || c.Timeout.D().String() != "10s" || c.MinSeverity != "warning" || c.MaxPending != 10000 {
		t.Errorf("defaults: %+v", c)
	}
	// The environment check reads an own credential as Open will, naming the key.
	cfg, err = config.Load([]byte(dcsProject + "[[smn]]\nname = \"s\"\ntopic_urn = \"urn:smn:cn-north-4:0123456789abcdef0123456789abcdef:dcs-alerts\"\nak_env = \"SMN_AK\"\nsk_env = \"SMN_SK\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.CheckEnvironment(func(k string) string {
		if k == "SMN_AK" {
			return "ak"
		}
		return "x"
	})
	if err != nil {
		t.Errorf("set: %v", err)
	}
	err = cfg.CheckEnvironment(func(k string) string { return map[string]string{"CLOUD_SDK_AK": "a", "CLOUD_SDK_SK": "b"}[k] })
	if err == nil || !strings.Contains(err.Error(), "smn[0].ak_env") {
		t.Errorf("unset: %v", err)
	}
}
