package config

import (
	"strings"
	"testing"

	"notifier/internal/sinks/slacksink"
)

const channelBase = `
[[dcs.projects]]
region = "cn-north-4"
project_id = "0123456789abcdef0123456789abcdef"
`

func TestChannelDefaultsAndReceiver(t *testing.T) {
	c, err := Load([]byte(channelBase + `
[[slack.channels]]
name = "live"
bot_token_env = "SLACK_BOT_TOKEN"
channel = "C0123456789"
projects = ["0123456789ABCDEF0123456789ABCDEF"]
`))
	if err != nil {
		t.Fatal(err)
	}
	ch := c.Slack.Channels[0]
	if ch.APIURL != slacksink.DefaultAPIURL || ch.MinSeverity != "info" || ch.MaxPending != DefaultMaxPending || ch.ThreadReplies {
		t.Errorf("defaults: %+v", ch)
	}
	if ch.Projects[0] != "0123456789abcdef0123456789abcdef" {
		t.Errorf("project ids are not lower-cased: %v", ch.Projects)
	}
	rs := c.Receivers()
	last := rs[len(rs)-1]
	if last.Name != "live" || last.Kind != slacksink.ChannelSpec.Kind || last.Key != "slack.channels[0]" || last.MaxPending != DefaultMaxPending {
		t.Errorf("receiver %+v", last)
	}
}

func TestChannelErrorsNameTheKey(t *testing.T) {
	cases := []struct{ name, toml, want string }{
		{"no token", `name = "a"
channel = "C1"`, "slack.channels[0]: exactly one of bot_token_env and bot_token_file must be set"},
		{"both tokens", `name = "a"
bot_token_env = "X"
bot_token_file = "/x"
channel = "C1"`, "slack.channels[0]: exactly one of bot_token_env and bot_token_file"},
		{"bad env", `name = "a"
bot_token_env = "1X"
channel = "C1"`, "slack.channels[0].bot_token_env: must name an environment variable; the value given is not shown"},
		{"no channel", `name = "a"
bot_token_env = "X"`, "slack.channels[0].channel: required"},
		{"two channels", `name = "a"
bot_token_env = "X"
channel = "C1,C2"`, "slack.channels[0].channel:"},
		{"api_url", `name = "a"
bot_token_env = "X"
channel = "C1"
api_url = "ftp://x"`, "slack.channels[0].api_url: scheme must be one of http, https"},
		{"severity", `name = "a"
bot_token_env = "X"
channel = "C1"
min_severity = "loud"`, "slack.channels[0].min_severity: must be one of"},
		{"project", `name = "a"
bot_token_env = "X"
channel = "C1"
projects = ["ffffffffffffffffffffffffffffffff"]`, "slack.channels[0].projects[0]: unknown project"},
		{"max_pending", `name = "a"
bot_token_env = "X"
channel = "C1"
max_pending = 0`, "slack.channels[0].max_pending: must be at least 1"},
		{"name", `bot_token_env = "X"
channel = "C1"`, "slack.channels[0].name: required"},
		{"duplicate name", `name = "nats"
bot_token_env = "X"
channel = "C1"`, "slack.channels[0].name: \"nats\" is reserved"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load([]byte(channelBase + "[[slack.channels]]\n" + c.toml + "\n"))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestChannelTokenIsCheckedNeverShown(t *testing.T) {
	c, err := Load([]byte(channelBase + `
[[slack.channels]]
name = "live"
bot_token_env = "SLACK_BOT_TOKEN"
channel = "C0123456789"
`))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CLOUD_SDK_AK": "ak", "CLOUD_SDK_SK": "sk"}
	err = c.CheckEnvironment(func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "slack.channels[0].bot_token_env") || !strings.Contains(err.Error(), "SLACK_BOT_TOKEN") {
		t.Fatalf("an unset token: %v", err)
	}
	env["SLACK_BOT_TOKEN"] = "xoxb-s3cr3t"
	if err := c.CheckEnvironment(func(k string) string { return env[k] }); err != nil {
		t.Fatalf("a set token: %v", err)
	}
	if strings.Contains(c.String(), "xoxb") {
		t.Error("the config shows the token")
	}
}
