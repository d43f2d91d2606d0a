package slacksink

import (
	"strings"
	"testing"

	"notifier/internal/event"
)

// TestTestEventIsMarked: a test event says so in the headline (the notification), the
// attachment's fallback and a digest line, and nowhere looks like a task transition.
func TestTestEventIsMarked(t *testing.T) {
	e := event.NewTest("cn-north-4", project, "", clock)
	msg := Render(&e, clock, event.DefaultStatuses())
	if !strings.HasPrefix(msg.Text, "[TEST] ") {
		t.Errorf("headline %q does not start with [TEST]", msg.Text)
	}
	if fb := msg.Attachments[0].Fallback; !strings.HasPrefix(fb, "[TEST] ") {
		t.Errorf("fallback %q does not start with [TEST]", fb)
	}
	checkMessage(t, &msg)
	body := texts(&msg)
	for _, want := range []string{"notifier test-notification", "No DCS task changed", e.ID} {
		if !strings.Contains(body, want) {
			t.Errorf("message lacks %q:\n%s", want, body)
		}
	}

	evs := []event.Event{e}
	for range digestOver {
		evs = append(evs, fixtures(t)["failed"])
	}
	msgs := Messages(evs, clock, nil, nil)
	if len(msgs) != 1 {
		t.Fatalf("%d messages for %d events, want one digest", len(msgs), len(evs))
	}
	if body := texts(&msgs[0]); !strings.Contains(body, "[TEST] ") {
		t.Errorf("digest has no [TEST] line:\n%s", body)
	}
	if got := len(Messages(evs[:digestOver], clock, nil, nil)); got != digestOver {
		t.Errorf("%d messages for %d events, want one each", got, digestOver)
	}
}
