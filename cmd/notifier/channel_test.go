package main

import (
	"strings"
	"testing"

	"notifier/internal/testkit/slackfake"
)

const channelToken = "xoxb-9999-8888-CliT0k3nS3cr3t"

// channelConfig has no NATS and one Slack channel (bot token mode) for failures only.
const channelConfig = `
[[dcs.projects]]
region = "cn-north-4"
project_id = "0123456789abcdef0123456789abcdef"

[nats]
url = ""

[[slack.channels]]
name = "live"
bot_token_env = "NOTIFIER_TEST_BOT_TOKEN"
channel = "C0000000009"
api_url = "APIURL"
min_severity = "critical"
`

// check-config, routes and test-notification work for a Slack channel, and none of
// them shows its token.
func TestSlackChannelCommands(t *testing.T) {
	api := slackfake.New(t, channelToken)
	path := writeFile(t, t.TempDir(), "c.toml", strings.Replace(channelConfig, "APIURL", api.APIURL(), 1))
	t.Setenv("CLOUD_SDK_AK", "ak")
	t.Setenv("CLOUD_SDK_SK", "sk")

	code, stdout, stderr := cli(t, "check-config", "--config", path)
	if code == exitOK || !strings.Contains(stdout+stderr, "slack.channels[0].bot_token_env") {
		t.Errorf("an unset bot token: exit %d\n%s%s", code, stdout, stderr)
	}
	t.Setenv("NOTIFIER_TEST_BOT_TOKEN", channelToken)
	code, stdout, stderr = cli(t, "check-config", "--config", path)
	if code != exitOK || strings.Contains(stdout+stderr, "CliT0k3n") {
		t.Errorf("check-config: exit %d\n%s%s", code, stdout, stderr)
	}

	code, stdout, _ = cli(t, "routes", "--config", path, "--task-name", "EXTEND", "--status", "SUCCESS")
	if code != exitOK || !strings.Contains(stdout, "live: skipped, min_severity critical > info") {
		t.Errorf("routes: exit %d\n%s", code, stdout)
	}

	code, stdout, stderr = cli(t, "test-notification", "--config", path)
	if code != exitOK || !strings.Contains(stdout, "live: ok") {
		t.Fatalf("test-notification: exit %d\n%s%s", code, stdout, stderr)
	}
	if top := api.Top("C0000000009"); len(top) != 1 || !strings.HasPrefix(top[0].Text, "[TEST] ") {
		t.Errorf("the channel shows %+v, want one [TEST] message", top)
	}

	api.NoChannel("C0000000009")
	code, stdout, stderr = cli(t, "test-notification", "--config", path)
	if code != exitRuntime || !strings.Contains(stdout, "live: failed: slack chat.postMessage: channel_not_found") {
		t.Errorf("a gone channel: exit %d\n%s%s", code, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, "CliT0k3n") {
		t.Error("the token shows")
	}
}
