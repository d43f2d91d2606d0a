package main

import (
	"strings"
	"testing"
	"time"

	"notifier/internal/silence"
	"notifier/internal/state"
)

// notifier routes weighs the silences: without a running notifier to ask (no http.listen
// here), those kept in state.path; a matching receiver is "silenced by ID (comment)",
// NATS and the others receive.
func TestRoutesShowsSilences(t *testing.T) {
	t.Setenv("NOTIFIER_CONFIG", "")
	dir := t.TempDir()
	stateDir := t.TempDir()
	path := writeFile(t, dir, "c.toml", strings.Replace(drillBase, "NATSURL", "nats://127.0.0.1:4222", 1)+
		"\n[http]\nlisten = \"\"\n\n[state]\npath = \""+stateDir+"\"\n")
	at := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
	s := silence.Silence{ID: "3f2a9c41d0b7e655", Matchers: silence.Matchers{TaskName: "masterStandby*", Receiver: "oncall"},
		StartsAt: at.Add(-time.Hour), EndsAt: at.Add(time.Hour), CreatedBy: "alice", Comment: "planned failover test"}
	if err := state.NewFileSilences(stateDir).Put(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := cli(t, "routes", "--config", path, "--task-name", "masterStandbySwapJob", "--status", "FAILED", "--at", at.Format(time.RFC3339))
	for _, want := range []string{
		"# silence 3f2a9c41d0b7e655 (receiver=oncall task_name=masterStandby*): planned failover test, by alice, until 2026-12-05T04:00:00Z (from state.path " + stateDir + ")\n",
		"nats: receives\n",
		"oncall: silenced by 3f2a9c41d0b7e655 (planned failover test) until 2026-12-05T04:00:00Z\n",
		"team: receives\n",
	} {
		if code != exitOK || !strings.Contains(stdout, want) {
			t.Errorf("exit %d, stdout lacks %q:\n%s%s", code, want, stdout, stderr)
		}
	}
	// After its end, nothing is silenced and no silence is listed.
	_, stdout, _ = cli(t, "routes", "--config", path, "--task-name", "masterStandbySwapJob", "--status", "FAILED", "--at", at.Add(time.Hour).Format(time.RFC3339))
	if strings.Contains(stdout, "silence") || !strings.Contains(stdout, "oncall: receives") {
		t.Errorf("at ends_at:\n%s", stdout)
	}
}
