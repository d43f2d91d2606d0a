package main

import (
	"strings"
	"testing"
)

const muteWindows = `
[[mute]]
name = "weekly-maintenance"
receivers = ["oncall"]
weekdays = ["saturday"]
start = "01:00"
end = "03:00"
location = "Asia/Shanghai"

[[mute]]
name = "upgrade"
from = "2026-12-05T01:00:00Z"
until = "2026-12-05T03:00:00Z"
min_severity = "critical"
`

// notifier routes lists the maintenance windows, those open at --at, and which
// receivers they mute for the event; NATS is never muted.
func TestRoutesShowsMutes(t *testing.T) {
	t.Setenv("NOTIFIER_CONFIG", "")
	path := writeFile(t, t.TempDir(), "c.toml", strings.Replace(drillBase, "NATSURL", "nats://127.0.0.1:4222", 1)+muteWindows)
	const head = "# masterStandbySwapJob FAILED: severity critical, project 0123456789abcdef0123456789abcdef (cn-north-4, the first of dcs.projects; --project picks another)\n"
	const weekly = "# mute weekly-maintenance (oncall): saturday 01:00–03:00 Asia/Shanghai; "
	const upgrade = "# mute upgrade (every receiver but nats): 2026-12-05T01:00:00Z – 2026-12-05T03:00:00Z; "
	tests := []struct {
		name, at, status, want string
	}{
		{"saturday 01:30 in Shanghai", "2026-12-04T17:30:00Z", "FAILED", head +
			weekly + "ACTIVE until 03:00 Asia/Shanghai\n" + upgrade + "not active\n" +
			"nats: receives\noncall: muted by weekly-maintenance until 03:00 Asia/Shanghai\nteam: receives\n"},
		{"the absolute window", "2026-12-05T02:00:00Z", "FAILED", head +
			weekly + "not active\n" + upgrade + "ACTIVE until 2026-12-05T03:00:00Z\n" +
			"nats: receives\noncall: muted by upgrade until 2026-12-05T03:00:00Z\nteam: muted by upgrade until 2026-12-05T03:00:00Z\n"},
		{"its filter refuses a success", "2026-12-05T02:00:00Z", "SUCCESS",
			strings.Replace(head, "FAILED: severity critical", "SUCCESS: severity warning", 1) +
				weekly + "not active\n" + upgrade + "ACTIVE until 2026-12-05T03:00:00Z\n" +
				"nats: receives\noncall: skipped, min_severity critical > warning\nteam: receives\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, "routes", "--config", path, "--task-name", "masterStandbySwapJob", "--status", tt.status, "--at", tt.at)
			if code != exitOK || stdout != tt.want {
				t.Errorf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr: %s", code, stdout, tt.want, stderr)
			}
		})
	}
	if code, _, stderr := cli(t, "routes", "--config", path, "--task-name", "EXTEND", "--status", "FAILED", "--at", "saturday"); code != exitUsage || !strings.Contains(stderr, "--at") {
		t.Errorf("a bad --at: exit %d, stderr %s", code, stderr)
	}
}
