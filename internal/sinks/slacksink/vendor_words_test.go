package slacksink

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"notifier/internal/event"
)

// Every Slack message about a switchover — a webhook message, a live card, a thread
// reply, a stuck task, a digest line, a stuck line in a digest — says "switchover" (the
// vendor's word) and names the task masterStandbySwapJob (its API name), so a search for
// either finds it; a failure gives the API's error code and message as facts.
func TestSwitchoverMessagesSayTheVendorsWordAndTheAPIName(t *testing.T) {
	st := event.DefaultStatuses()
	failedEv := ev(t, "RUNNING", false, `{"id":"sw1","name":"masterStandbySwapJob","status":"FAILED",
		"created_at":"2023-06-17T08:18:06Z","updated_at":"2023-06-17T08:19:43Z","error_code":"111400082",
		"error_msg":"The standby node is not ready"}`)
	stuck := event.NewStuck(event.Stuck{ProjectID: failedEv.Data.ProjectID, Region: "cn-north-4", TaskID: "sw2",
		TaskName: event.SwitchoverTask, Status: "RUNNING", Task: []byte(`{"id":"sw2","name":"masterStandbySwapJob","status":"RUNNING"}`),
		Running: 40 * time.Minute, Threshold: 15 * time.Minute, Source: event.ThresholdConfigured, DetectedAt: clock})
	render := func(m slack.WebhookMessage) string {
		checkMessage(t, &m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	msgs := map[string]string{
		"webhook message":   render(Render(&failedEv, clock, st)),
		"live card":         render(RenderCard(&failedEv, clock, st, nil, "RUNNING 08:18:06 → FAILED 08:19:43")),
		"thread reply":      render(replyOf(&failedEv, Render(&failedEv, clock, st))),
		"stuck message":     render(Render(&stuck, clock, st)),
		"digest line":       digestLine(rows([]event.Event{failedEv}, st)[0], clock),
		"stuck digest line": digestLine(rows([]event.Event{stuck}, st)[0], clock),
	}
	for kind, text := range msgs {
		for _, want := range []string{"switchover", "`masterStandbySwapJob`"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s does not say %s:\n%s", kind, want, text)
			}
		}
	}
	for _, kind := range []string{"webhook message", "live card", "stuck message"} {
		if !strings.Contains(msgs[kind], `"*Task*\n`+"`masterStandbySwapJob`") {
			t.Errorf("%s has no Task fact:\n%s", kind, msgs[kind])
		}
	}
	for _, kind := range []string{"webhook message", "live card"} {
		for _, want := range []string{`"*Error code*\n` + "`111400082`", `"*Error*\nThe standby node is not ready"`} {
			if !strings.Contains(msgs[kind], want) {
				t.Errorf("%s does not give %s:\n%s", kind, want, msgs[kind])
			}
		}
	}
	if want := "error `111400082` · task `masterStandbySwapJob` · id `sw1`"; !strings.Contains(msgs["digest line"], want) {
		t.Errorf("digest line %q, want %q", msgs["digest line"], want)
	}
}
