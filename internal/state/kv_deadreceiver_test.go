package state

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"notifier/internal/diff"
	"notifier/internal/event"
)

func hexID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// A realistic event, shaped like the example in docs/events.md.
func realEvent(project string, now time.Time) event.Event {
	id, job, user := hexID(), hexID(), hexID()
	raw := fmt.Sprintf(`{"id":%q,"name":"masterStandbySwapJob","job_id":%q,"user_name":"ops-oncall","user_id":%q,"details":null,"status":"SUCCESS","created_at":%q,"updated_at":%q,"error_code":"","enable_show":true}`,
		id, job, user, now.Add(-time.Minute).Format("2006-01-02T15:04:05.000Z"), now.Format("2006-01-02T15:04:05.000Z"))
	return event.New(event.Transition{ProjectID: project, Region: "cn-north-4", TaskID: id, TaskName: "masterStandbySwapJob",
		Status: "SUCCESS", PreviousStatus: "RUNNING", Seq: 2, Task: []byte(raw), DetectedAt: now})
}

// nats-kv: a Slack webhook that keeps failing with a retryable error (5xx, DNS, egress
// blocked) keeps every event pending for slack[0] while NATS delivers and acks each one.
// Pending events live in keys of their own and slack[0]'s backlog is bounded by
// max_pending, so the project's state key stays small: every commit succeeds and NATS
// keeps getting new events.
func TestDeadReceiverNeverBlocksCommitsInKVMode(t *testing.T) {
	kv := kvBucket(t)
	const project = "0123456789abcdef0123456789abcdef"
	// A server with a 64 KB max_payload: 500 pending events in one value would not fit.
	const maxPending = 500
	s, snap := loadKV(t, kv, KVOptions{Projects: []string{project}, Term: 1, MaxValue: 64 << 10})
	l, _ := NewLedger(s, snap, []string{"nats", "slack[0]"}, MaxPending("slack[0]", maxPending))
	st := &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{})}
	now := time.Now()
	total := 0
	for burst := range 40 {
		evs := make([]event.Event, 50)
		for i := range evs {
			evs[i] = realEvent(project, now)
		}
		if err := l.Commit(t.Context(), project, st, evs); err != nil {
			t.Fatalf("after %d events delivered to NATS (none pending for it) and %d pending for a dead slack[0]: commit %d fails: %v",
				total, l.Count("slack[0]"), burst, err)
		}
		ids := make([]string, len(evs))
		for i := range evs {
			ids[i] = evs[i].ID
		}
		if err := l.Done(t.Context(), "nats", ids); err != nil { // NATS is healthy
			t.Fatal(err)
		}
		total += len(evs)
	}
	if got := l.Count("slack[0]"); got != maxPending {
		t.Errorf("the dead receiver holds %d pending events, want its max_pending %d", got, maxPending)
	}
	_, back := loadKV(t, kv, KVOptions{Projects: []string{project}, Term: 2})
	if len(back.Outbox) != maxPending || back.Outbox[0].Sinks[0] != "slack[0]" {
		t.Errorf("a new leader loads %d pending events, want the dead receiver's %d newest", len(back.Outbox), maxPending)
	}
}
