package state

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"

	"notifier/internal/diff"
	"notifier/internal/event"
)

// A task with a field larger than the server's max_payload (details of two megabytes)
// would fail every commit of its project. Its event is kept with the task's short fields
// only: the commit succeeds, the project goes on, and the event still says which task
// changed to what.
func TestEventLargerThanMaxPayloadNeverBlocksItsProject(t *testing.T) {
	kv := kvBucket(t)
	s, snap := loadKV(t, kv, KVOptions{Projects: []string{"p1"}, Term: 1, MaxValue: 1 << 20})
	l, _ := NewLedger(s, snap, []string{"nats"})
	e := projectEvent("huge", "p1")
	noise := make([]byte, 2<<20) // random: gzip cannot make it fit
	rand.Read(noise)
	e.Data.Task = []byte(`{"id":"t1","name":"masterStandbySwapJob","status":"FAILED","details":"` + hex.EncodeToString(noise) + `"}`)
	st := &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{"t1": {Status: "FAILED", Created: 5, Seq: 1}})}
	if err := l.Commit(t.Context(), "p1", st, []event.Event{e}); err != nil {
		t.Fatalf("commit of an event above max_payload: %v", err)
	}
	_, back := loadKV(t, kv, KVOptions{Projects: []string{"p1"}, Term: 2})
	if len(back.Outbox) != 1 {
		t.Fatalf("%d events pending after the commit, want 1", len(back.Outbox))
	}
	var task map[string]any
	if err := json.Unmarshal(back.Outbox[0].Event.Data.Task, &task); err != nil {
		t.Fatal(err)
	}
	if task["id"] != "t1" || task["name"] != "masterStandbySwapJob" || task["status"] != "FAILED" || task["details"] != nil {
		t.Errorf("stored task has id %v, name %v, status %v, details %d bytes: want its id, name and status without the huge details",
			task["id"], task["name"], task["status"], len(fmt.Sprint(task["details"])))
	}
}
