package slacksink

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"notifier/internal/event"
)

// TestRenderDeeplyNestedDetails: details nested thousands of levels deep, or a detail
// field that is itself deeply nested, still give a valid message within Slack's limits.
func TestRenderDeeplyNestedDetails(t *testing.T) {
	deep := strings.Repeat(`{"d":`, 5000) + `[]` + strings.Repeat(`}`, 5000)
	for _, task := range []string{
		`{"id":"n","name":"EXTEND","status":"FAILED","details":` + deep + `}`,
		`{"id":"n","name":"AddReplica","status":"FAILED","details":{"replica_ip":` + deep + `,"rename_commands":[` + deep + `]}}`,
	} {
		if !json.Valid([]byte(task)) {
			t.Fatal("bad fixture")
		}
		e := event.New(event.Transition{ProjectID: "p", Region: "cn-north-4", TaskID: "n", TaskName: "EXTEND",
			Status: "FAILED", Task: json.RawMessage(task), DetectedAt: clock})
		msg := Render(&e, clock.Add(time.Minute), event.DefaultStatuses())
		checkMessage(t, &msg)
	}
}
