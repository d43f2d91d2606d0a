package dingtalk_test

import (
	"encoding/json"
	"strings"
	"testing"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/testkit/chatfake"
)

// TestTestNotificationNeedsNoCodeOfItsOwn: notifier test-notification --receiver reaches
// the robot through the registry alone.
func TestTestNotificationNeedsNoCodeOfItsOwn(t *testing.T) {
	f := chatfake.NewDingTalk(token, "SECbot")
	t.Cleanup(f.Close)
	cfg, err := config.Load([]byte(`[dcs]
projects = [{ project_id = "0123456789abcdef0123456789abcdef", region = "cn-north-4" }]

[[dingtalk]]
name = "ops"
url_env = "DT_URL"
secret_env = "DT_SECRET"
`))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DT_URL": f.URL(), "DT_SECRET": "SECbot"}
	res, err := app.SendTest(t.Context(), cfg, app.Deps{Getenv: func(k string) string { return env[k] }}, []string{"ops"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].String() != "ops: ok" {
		t.Fatalf("results %v; the robot refused %v", res, f.Refused())
	}
	raw, _ := json.Marshal(f.Taken())
	if !strings.Contains(string(raw), "[TEST] Test notification from the DCS notifier") {
		t.Fatalf("the robot got %s", raw)
	}
}
