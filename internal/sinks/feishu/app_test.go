package feishu_test

import (
	"encoding/json"
	"strings"
	"testing"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/testkit/chatfake"
)

// TestTestNotificationNeedsNoCodeOfItsOwn: notifier test-notification --receiver reaches
// the bot through the registry alone.
func TestTestNotificationNeedsNoCodeOfItsOwn(t *testing.T) {
	f := chatfake.NewFeishu("6f1c6a3e-2b1d-4c8e-9f0a-123456789abc", "bot-secret")
	t.Cleanup(f.Close)
	cfg, err := config.Load([]byte(`[dcs]
projects = [{ project_id = "0123456789abcdef0123456789abcdef", region = "cn-north-4" }]

[[feishu]]
name = "ops"
url_env = "FEISHU_URL"
secret_env = "FEISHU_SECRET"
`))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"FEISHU_URL": f.URL(), "FEISHU_SECRET": "bot-secret"}
	res, err := app.SendTest(t.Context(), cfg, app.Deps{Getenv: func(k string) string { return env[k] }}, []string{"ops"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].String() != "ops: ok" {
		t.Fatalf("results %v; the bot refused %v", res, f.Refused())
	}
	raw, _ := json.Marshal(f.Taken())
	if !strings.Contains(string(raw), "[TEST] Test notification from the DCS notifier") {
		t.Fatalf("the bot got %s", raw)
	}
}
