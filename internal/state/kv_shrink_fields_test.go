package state

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"notifier/internal/diff"
	"notifier/internal/event"
)

// As TestEventLargerThanMaxPayloadNeverBlocksItsProject, but the task is large because it
// has many fields, each under fit's 1 KiB: a hostile or odd API answer (thousands of
// small fields) must not fail every commit of its project either.
func TestEventWithManySmallFieldsNeverBlocksItsProject(t *testing.T) {
	kv := kvBucket(t)
	s, snap := loadKV(t, kv, KVOptions{Projects: []string{"p1"}, Term: 1, MaxValue: 1 << 20})
	l, _ := NewLedger(s, snap, []string{"nats"})
	e := projectEvent("wide", "p1")
	var b bytes.Buffer
	b.WriteString(`{"id":"t1","name":"masterStandbySwapJob","status":"FAILED"`)
	noise := make([]byte, 250) // 500 hex characters per field: random, gzip cannot shrink it much
	for i := range 4000 {
		rand.Read(noise)
		fmt.Fprintf(&b, `,"f%04d":"%s"`, i, hex.EncodeToString(noise))
	}
	b.WriteByte('}')
	e.Data.Task = b.Bytes() // about 2 MB
	st := &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{"t1": {Status: "FAILED", Created: 5, Seq: 1}})}
	if err := l.Commit(t.Context(), "p1", st, []event.Event{e}); err != nil {
		t.Fatalf("commit of an event above max_payload (many small fields): %v", err)
	}
}

// hexNoise returns n random hex characters: gzip cannot shrink them much.
func hexNoise(n int) string {
	b := make([]byte, n/2)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Every step of the shrink, down to the last: whatever the task's shape, the stored event
// fits in half a value (a chunk of the inbox has room for it), keeps the fields read
// downstream while it can, and says that it was cut.
func TestShrinkConvergesWhateverTheTaskShape(t *testing.T) {
	wide := func(extra string) string {
		var b bytes.Buffer
		b.WriteString(`{"id":"t1","name":"masterStandbySwapJob","status":"FAILED","created_at":"2024-05-01T10:00:00Z","instance_id":"i-1"` + extra)
		for i := range 4000 {
			fmt.Fprintf(&b, `,"f%04d":"%s"`, i, hexNoise(500))
		}
		b.WriteByte('}')
		return b.String()
	}
	cases := []struct {
		name     string
		maxValue int64
		task     string
		want     []string // fields kept besides the marker
	}{
		{"many small fields", 1 << 20, wide(""), []string{"created_at", "id", "instance_id", "name", "status"}},
		{"read fields too large together", 4 << 10,
			`{"id":"t1","name":"masterStandbySwapJob","status":"FAILED","details":"` + hexNoise(1000) + `","params":"` + hexNoise(1000) + `","user_name":"` + hexNoise(1000) + `"}`,
			[]string{"id", "name", "status"}},
		{"naming fields too large", 2 << 10,
			`{"id":"` + hexNoise(1000) + `","name":"` + hexNoise(1000) + `","status":"FAILED"}`, nil},
		{"not an object", 1 << 20, `"` + hexNoise(2<<20) + `"`, nil},
		{"a field named like the marker", 1 << 20, wide(`,"truncated":"no"`), []string{"created_at", "id", "instance_id", "name", "status"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := NewKV(nil, KVOptions{Projects: []string{"p1"}, MaxValue: c.maxValue})
			e := projectEvent("e1", "p1")
			e.Data.Task = []byte(c.task)
			got := s.fit(storedEvent{Pending: Pending{Event: e, Sinks: []string{"nats"}}})
			b, err := encodeValue(got)
			if err != nil || int64(len(b)) > c.maxValue/2 {
				t.Fatalf("shrunk event: %d bytes (err %v), want at most %d", len(b), err, c.maxValue/2)
			}
			var task map[string]any
			if err := json.Unmarshal(got.Event.Data.Task, &task); err != nil {
				t.Fatalf("shrunk task %.80q is not an object: %v", got.Event.Data.Task, err)
			}
			if task["truncated"] != true {
				t.Errorf("shrunk task has truncated = %v, want true", task["truncated"])
			}
			delete(task, "truncated")
			var kept []string
			for k := range task {
				kept = append(kept, k)
			}
			slices.Sort(kept)
			if !slices.Equal(kept, c.want) {
				t.Errorf("shrunk task keeps %v, want %v", kept, c.want)
			}
		})
	}
}

// A task that fits is stored as the API returned it, without a marker.
func TestShrinkLeavesAFittingTaskAlone(t *testing.T) {
	s := NewKV(nil, KVOptions{Projects: []string{"p1"}, MaxValue: 1 << 20})
	e := projectEvent("e1", "p1")
	e.Data.Task = []byte(`{"id":"t1","name":"masterStandbySwapJob","status":"FAILED","f":"` + hexNoise(1000) + `"}`)
	if got := s.fit(storedEvent{Pending: Pending{Event: e}}); !bytes.Equal(got.Event.Data.Task, e.Data.Task) {
		t.Errorf("a task that fits was changed to %.80q", got.Event.Data.Task)
	}
}
