package state

import (
	"errors"
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
