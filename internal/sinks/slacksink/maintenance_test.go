package slacksink

import (
	"strings"
	"testing"

	"notifier/internal/event"
)

func TestMaintenanceGolden(t *testing.T) {
	e := fixtures(t)["failed"]
	msg := Render(&e, clock, event.DefaultStatuses())
	withWindow(&msg, "weekly-maintenance")
	checkMessage(t, &msg)
	golden(t, "maintenance", &msg)
	blocks := msg.Attachments[0].Blocks.BlockSet
	if len(blocks) < 2 || !strings.Contains(texts(&msg), "during maintenance window weekly-maintenance") {
		t.Fatalf("no maintenance line:\n%s", texts(&msg))
	}
	plain := Render(&e, clock, event.DefaultStatuses())
	withWindow(&plain, "")
	if got, want := len(plain.Attachments[0].Blocks.BlockSet), len(blocks)-1; got != want {
		t.Errorf("no window: %d blocks, want %d", got, want)
	}
}

// The webhook asks During about every event it posts, and says so only on the events of
// a task that started in a window; a test event never.
func TestSendSaysDuringMaintenance(t *testing.T) {
	f := newFakeSlack(t, nil)
	during := func(e *event.Event) string {
		if e.Subject == "ff80808188bfde180188c36bb9ca4a30" {
			return "weekly-maintenance"
		}
		return ""
	}
	r := newRig(t, t.TempDir(), Options{URL: f.hook(), During: during})
	fx := fixtures(t)
	r.commit(t, fx["failed"], fx["succeeded"], event.NewTest("cn-north-4", project, "", clock))
	for _, want := range []bool{true, false, false} {
		msg := f.next(t).msg
		if got := strings.Contains(texts(&msg), "during maintenance window weekly-maintenance"); got != want {
			t.Errorf("%q: maintenance line %v, want %v", msg.Text, got, want)
		}
	}
}
