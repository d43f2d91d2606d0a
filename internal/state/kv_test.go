package state

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	natsserver "github.com/nats-io/nats-server/v2/test"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"notifier/internal/diff"
	"notifier/internal/event"
)

func kvBucket(t *testing.T) jetstream.KeyValue {
	t.Helper()
	opts := natsserver.DefaultTestOptions
	opts.Port = -1
	opts.JetStream = true
	opts.StoreDir = t.TempDir()
	srv := natsserver.RunServer(&opts)
	t.Cleanup(srv.Shutdown)
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	kv, err := OpenKVBucket(t.Context(), js, "dcs_notifier", 1)
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

func projectEvent(id, project string) event.Event {
	e := ev(id)
	e.Data.ProjectID = project
	return e
}

func TestKVRoundTripAndFencing(t *testing.T) {
	kv := kvBucket(t)
	old := NewKV(kv, []string{"p1", "p2"}, 1)
	snap, err := old.Load(t.Context())
	if err != nil || len(snap.Projects) != 0 {
		t.Fatalf("fresh load: %v %v", snap, err)
	}
	snap.Projects["p1"] = &diff.ProjectState{Horizon: 3, Tasks: map[string]diff.TaskState{"a": {Status: "RUNNING", Created: 5, Seq: 1}}}
	snap.Outbox = []Pending{{Event: projectEvent("e1", "p1"), Sinks: []string{"nats"}}}
	if err := old.Save(t.Context(), snap); err != nil {
		t.Fatal(err)
	}

	// A new leader (term 2) loads and claims every key.
	next := NewKV(kv, []string{"p1", "p2"}, 2)
	got, err := next.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got.Projects["p1"].Tasks["a"] != snap.Projects["p1"].Tasks["a"] || len(got.Outbox) != 1 || got.Outbox[0].Event.ID != "e1" {
		t.Fatalf("round trip: %+v", got)
	}
	// The old leader, paused until now, tries to write: fenced, nothing overwritten.
	snap.Projects["p1"] = &diff.ProjectState{Tasks: map[string]diff.TaskState{}}
	if err := old.Save(t.Context(), snap); !errors.Is(err, ErrFenced) {
		t.Fatalf("old leader's save: %v, want ErrFenced", err)
	}
	again, err := NewKV(kv, []string{"p1"}, 3).Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := again.Projects["p1"].Tasks["a"]; !ok {
		t.Error("the fenced write overwrote the state")
	}
	// A store of an older term refuses to start on newer state.
	if _, err := NewKV(kv, []string{"p1"}, 2).Load(t.Context()); !errors.Is(err, ErrFenced) {
		t.Errorf("loading with an old term: %v, want ErrFenced", err)
	}
}

// TestKVBurstIsCompressed: a burst of pending events is stored gzipped, reads back whole,
// and a value the server would refuse is a clear error rather than a refused write.
func TestKVBurstIsCompressed(t *testing.T) {
	kv := kvBucket(t)
	s := NewKV(kv, []string{"p1"}, 1)
	s.MaxValue = 1 << 20
	snap, err := s.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	snap.Projects["p1"] = &diff.ProjectState{Tasks: map[string]diff.TaskState{}}
	for i := range 3000 {
		e := projectEvent(fmt.Sprintf("e%04d", i), "p1")
		e.Data.Task = []byte(`{"id":"` + e.ID + `","name":"masterStandbySwapJob","status":"FAILED","details":{"source_ip":"192.168.0.21","target_ip":"192.168.0.37"}}`)
		snap.Outbox = append(snap.Outbox, Pending{Event: e, Sinks: []string{"nats", "slack[0]"}})
	}
	if err := s.Save(t.Context(), snap); err != nil {
		t.Fatalf("3,000 pending events must fit in one value once compressed: %v", err)
	}
	back, err := NewKV(kv, []string{"p1"}, 2).Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Outbox) != 3000 || back.Outbox[2999].Event.ID != "e2999" {
		t.Fatalf("read back %d events", len(back.Outbox))
	}
	small := NewKV(kv, []string{"p1"}, 3)
	small.MaxValue = 100
	if _, err := small.Load(t.Context()); err == nil || !strings.Contains(err.Error(), "max_payload") {
		t.Errorf("oversized value: %v, want an error naming max_payload", err)
	}
}
