package pagerduty_test

import (
	"testing"

	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/testkit/oncalltest"
	"notifier/internal/testkit/testutil"
)

// A failed switchover first seen finished (it started and ended between two polls) opens
// its incident with unseen_statuses in the custom details; one seen running has none.
func TestIncidentSaysItsStatusesWereUnseen(t *testing.T) {
	pd := oncalltest.NewPagerDuty(t)
	s, mem := newSink(t, pd.URL(), zerolog.Nop()), testutil.NewMemory()
	seen := task("t1", event.SwitchoverTask, "FAILED", "inst-1")
	send(t, s, mem, seen)
	if v, ok := pd.Next(t).Payload.CustomDetails["unseen_statuses"]; ok {
		t.Errorf("a task seen running: unseen_statuses = %v in the details", v)
	}
	quick := task("t2", event.SwitchoverTask, "FAILED", "inst-2")
	quick.Data.UnseenStatuses = true
	send(t, s, mem, quick)
	if v := pd.Next(t).Payload.CustomDetails["unseen_statuses"]; v != true {
		t.Errorf("a task first seen failed: unseen_statuses = %v in the details, want true", v)
	}
}
