package state

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"notifier/internal/diff"
	"notifier/internal/event"
	"notifier/internal/testkit/natstest"
)

func kvBucket(t testing.TB) jetstream.KeyValue {
	t.Helper()
	_, js := natstest.Connect(t, natstest.RunJetStream(t))
	kv, err := OpenKVBucket(t.Context(), js, "dcs_notifier", 1)
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

// loadKV is a leader's store with o over kv, and the snapshot its Load claims; it fails
// the test if Load fails.
func loadKV(t testing.TB, kv jetstream.KeyValue, o KVOptions) (*KV, *Snapshot) {
	t.Helper()
	s := NewKV(kv, o)
	snap, err := s.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return s, snap
}

func projectEvent(id, project string) event.Event {
	e := ev(id)
	e.Data.ProjectID = project
	return e
}

func TestKVRoundTripAndFencing(t *testing.T) {
	kv := kvBucket(t)
	old := NewKV(kv, KVOptions{Projects: []string{"p1", "p2"}, Term: 1})
	snap, err := old.Load(t.Context())
	if err != nil || len(snap.Projects) != 0 {
		t.Fatalf("fresh load: %v %v", snap, err)
	}
	snap.Projects["p1"] = &diff.ProjectState{Horizon: 3, Tasks: diff.TasksOf(map[string]diff.TaskState{"a": {Status: "RUNNING", Created: 5, Seq: 1}})}
	snap.Outbox = []Pending{{Event: projectEvent("e1", "p1"), Sinks: []string{"nats"}}}
	if err := old.Save(t.Context(), snap); err != nil {
		t.Fatal(err)
	}

	// A new leader (term 2) loads and claims every key.
	_, got := loadKV(t, kv, KVOptions{Projects: []string{"p1", "p2"}, Term: 2})
	if got.Projects["p1"].Tasks.Map()["a"] != snap.Projects["p1"].Tasks.Map()["a"] || len(got.Outbox) != 1 || got.Outbox[0].Event.ID != "e1" {
		t.Fatalf("round trip: %+v", got)
	}
	// The old leader, paused until now, tries to write: fenced, nothing overwritten.
	snap.Projects["p1"] = &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{})}
	if err := old.Save(t.Context(), snap); !errors.Is(err, ErrFenced) {
		t.Fatalf("old leader's save: %v, want ErrFenced", err)
	}
	third, again := loadKV(t, kv, KVOptions{Projects: []string{"p1"}, Term: 3})
	if _, ok := again.Projects["p1"].Tasks.Map()["a"]; !ok {
		t.Error("the fenced write overwrote the state")
	}
	// A replica whose lease is older than the stored one (it won the lease, froze, and lost
	// it to the current leader) is refused.
	stale := NewKV(kv, KVOptions{Projects: []string{"p1"}, Term: 2})
	if _, err := stale.Load(t.Context()); !errors.Is(err, ErrFenced) {
		t.Errorf("loading with a lease older than the stored one: %v, want ErrFenced", err)
	}
	// A leader of a newer epoch (the lease bucket was recreated: its revisions restarted at
	// 1) loads whatever the stored term, and fences every leader of the epoch before.
	recreated := NewKV(kv, KVOptions{Projects: []string{"p1"}, Term: 1, Epoch: 1})
	if _, err := recreated.Load(t.Context()); err != nil {
		t.Fatalf("loading in a newer epoch with a lower term: %v", err)
	}
	again.Projects["p1"] = &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{"b": {Status: "RUNNING", Created: 7, Seq: 1}})}
	if err := third.Save(t.Context(), again); !errors.Is(err, ErrFenced) {
		t.Errorf("previous epoch's leader's save after the takeover: %v, want ErrFenced", err)
	}
}

// TestKVBurstIsCompressed: a burst of new events committed at once (held in the state key
// until each has its own key) is stored gzipped, reads back whole and in order, and a value
// the server would refuse is a clear error rather than a refused write.
func TestKVBurstIsCompressed(t *testing.T) {
	kv := kvBucket(t)
	s, snap := loadKV(t, kv, KVOptions{Projects: []string{"p1"}, Term: 1, MaxValue: 1 << 20})
	snap.Projects["p1"] = &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{})}
	for i := range 3000 {
		e := projectEvent(fmt.Sprintf("e%04d", i), "p1")
		e.Data.Task = []byte(`{"id":"` + e.ID + `","name":"masterStandbySwapJob","status":"FAILED","details":{"source_ip":"192.168.0.21","target_ip":"192.168.0.37"}}`)
		snap.Outbox = append(snap.Outbox, Pending{Event: e, Sinks: []string{"nats", "slack[0]"}})
	}
	if err := s.Save(t.Context(), snap); err != nil {
		t.Fatalf("3,000 pending events must fit in one value once compressed: %v", err)
	}
	_, back := loadKV(t, kv, KVOptions{Projects: []string{"p1"}, Term: 2})
	if len(back.Outbox) != 3000 || back.Outbox[2999].Event.ID != "e2999" {
		t.Fatalf("read back %d events", len(back.Outbox))
	}
	for i, p := range back.Outbox {
		if want := fmt.Sprintf("e%04d", i); p.Event.ID != want {
			t.Fatalf("event %d read back is %s, want %s: commit order lost", i, p.Event.ID, want)
		}
	}
	small, snap := loadKV(t, kv, KVOptions{Projects: []string{"p1"}, Term: 3, MaxValue: 100}) // below an event with no task at all
	snap.Outbox = append(snap.Outbox, Pending{Event: projectEvent("big", "p1"), Sinks: []string{"nats"}})
	if err := small.Save(t.Context(), snap); err == nil || !strings.Contains(err.Error(), "max_payload") {
		t.Errorf("oversized value: %v, want an error naming max_payload", err)
	}
}
