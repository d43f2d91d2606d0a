package main

import (
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"notifier/internal/dcssim"
	"notifier/internal/event"
	"notifier/internal/testkit/chatfake"
)

// chatConfig is a configuration with one receiver of each chat kind, against sim.
func chatConfig(t *testing.T, api string) string {
	t.Helper()
	dir := t.TempDir()
	return writeFile(t, dir, "c.toml", `
[dcs]
ak_env = "T_AK"
sk_env = "T_SK"
security_token_env = ""

[[dcs.projects]]
region = "cn-north-4"
project_id = "`+projectA+`"
endpoint = "`+api+`"

[poll]
initial = "notify"

[nats]
url = ""

[[feishu]]
name = "lark"
url_env = "T_FEISHU_URL"
secret_env = "T_FEISHU_SECRET"

[[dingtalk]]
name = "ding"
url_env = "T_DINGTALK_URL"
secret_env = "T_DINGTALK_SECRET"
min_severity = "critical"

[[wecom]]
name = "wework"
url_env = "T_WECOM_URL"
task_names = ["EXTEND"]

[state]
path = "`+filepath.Join(dir, "state")+`"
`)
}

// TestChatKindsThroughTheCommands: the Feishu, DingTalk and WeCom receivers work with
// routes, once --dry-run --render and test-notification through the registry alone.
func TestChatKindsThroughTheCommands(t *testing.T) {
	sim := dcssim.New(dcssim.Options{AK: testAK, SK: testSK})
	sim.AddProject(projectA)
	sim.Put(projectA, dcssim.Task{ID: "t1", Name: event.SwitchoverTask, Status: "FAILED", CreatedAt: time.Now().UTC().Add(-time.Minute)})
	sim.Put(projectA, dcssim.Task{ID: "t2", Name: "EXTEND", Status: "SUCCESS", CreatedAt: time.Now().UTC().Add(-time.Minute)})
	api := httptest.NewServer(sim)
	t.Cleanup(api.Close)
	lark, ding, wework := chatfake.NewFeishu("lark-token-0123", "lark-secret"), chatfake.NewDingTalk("ding-token-0123", "SECding"), chatfake.NewWeCom("wework-key-0123")
	t.Cleanup(lark.Close)
	t.Cleanup(ding.Close)
	t.Cleanup(wework.Close)
	for k, v := range map[string]string{"T_AK": testAK, "T_SK": testSK, "T_FEISHU_URL": lark.URL(), "T_FEISHU_SECRET": "lark-secret",
		"T_DINGTALK_URL": ding.URL(), "T_DINGTALK_SECRET": "SECding", "T_WECOM_URL": wework.URL()} {
		t.Setenv(k, v)
	}
	path := chatConfig(t, api.URL)

	code, stdout, stderr := cli(t, "routes", "--config", path, "--task-name", event.SwitchoverTask, "--status", "FAILED")
	if code != exitOK || !strings.Contains(stdout, "lark: receives\nding: receives\nwework: skipped, task_names [EXTEND]") {
		t.Errorf("routes: exit %d\n%s%s", code, stdout, stderr)
	}

	code, stdout, stderr = cli(t, "once", "--config", path, "--dry-run", "--render")
	if code != exitOK {
		t.Fatalf("once --render: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"# lark (feishu[0]): 2 events in 2 requests\nPOST https://open.feishu.cn/open-apis/bot/v2/hook/REDACTED\n{",
		"# ding (dingtalk[0]): 1 event in 1 request\nPOST https://oapi.dingtalk.com/robot/send?access_token=REDACTED\n{",
		"# wework (wecom[0]): 1 event in 1 request\nPOST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=REDACTED\n{",
		`"content":"Master/standby switchover failed"`, `**Task:** masterStandbySwapJob`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("once --render lacks %q:\n%s", want, stdout)
		}
	}
	if n := len(lark.Requests()) + len(ding.Requests()) + len(wework.Requests()); n != 0 {
		t.Errorf("once --dry-run --render sent %d requests", n)
	}

	for _, name := range []string{"lark", "ding", "wework"} {
		code, stdout, stderr = cli(t, "test-notification", "--config", path, "--receiver", name)
		if code != exitOK || !strings.HasSuffix(stdout, "\n"+name+": ok\n") {
			t.Errorf("test-notification --receiver %s: exit %d\n%s%s", name, code, stdout, stderr)
		}
	}
	for name, got := range map[string][]map[string]any{"lark": lark.Taken(), "ding": ding.Taken(), "wework": wework.Taken()} {
		raw, _ := json.Marshal(got)
		if len(got) != 1 || !strings.Contains(string(raw), "[TEST]") {
			t.Errorf("%s got %s", name, raw)
		}
	}
}
