package state

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"notifier/internal/diff"
	"notifier/internal/event"
)

// FuzzStateDecode feeds arbitrary bytes to the state file reader: it never panics, and a
// snapshot it accepts can be saved and read back to the same thing (encoding the re-read
// snapshot gives the same bytes), so a state file that loads never blocks the next save.
func FuzzStateDecode(f *testing.F) {
	snap := &Snapshot{Version: Version, Projects: map[string]*diff.ProjectState{
		"0123456789abcdef0123456789abcdef": {Horizon: 1700000000000, Tasks: diff.TasksOf(map[string]diff.TaskState{
			"t1": {Status: "RUNNING", Created: 1700000001000, Seq: 1},
			"t2": {Status: "FAILED", Created: 1700000002000, Seq: 3, Missing: 1700000003000},
		})},
	}}
	e := event.New(event.Transition{ProjectID: "p", Region: "cn-north-4", TaskID: "t1", TaskName: "EXTEND",
		Status: "RUNNING", Created: true, Seq: 1, Task: json.RawMessage(`{"id":"t1","status":"RUNNING","details":null}`),
		DetectedAt: time.Date(2026, 11, 27, 3, 2, 51, 204e6, time.UTC)})
	snap.Outbox = []Pending{{Event: e, Sinks: []string{"nats", "slack[0]"}}}
	good, err := json.Marshal(snap)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"version":1,"projects":{},"outbox":null}`))
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":2,"projects":{}}`))
	f.Add([]byte(`{"version":1,"projects":{"p":null}}`))
	f.Add([]byte(`{"version":1,"projects":{"p":{"tasks":{},"durations":{"EXTEND":[60000]},"learned_at":{"EXTEND":1700000000}}}}`))
	f.Add([]byte(`{"version":1,"projects":{"p":{"tasks":{}}}} {}`))
	f.Add([]byte(`{"version":1,"outbox":[{"event":{"id":"x","time":"2026-01-01T00:00:00+08:00","data":{"task":[1]}},"sinks":["nats"]}]}`))
	f.Add([]byte(`{"version":1,"outbox":[{"event":{"id":""},"sinks":[]}]}`))
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Decode(b)
		if err != nil {
			return
		}
		first, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("a snapshot that loads cannot be saved: %v", err)
		}
		s2, err := Decode(first)
		if err != nil {
			t.Fatalf("a saved snapshot does not load: %v\n%s", err, first)
		}
		second, err := json.Marshal(s2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("snapshot changes across save and load:\n%s\n%s", first, second)
		}
	})
}

// FuzzProjectDecode feeds arbitrary bytes to the project file reader: it never panics, and
// a project file it accepts can be written and read back to the same thing.
func FuzzProjectDecode(f *testing.F) {
	e := event.New(event.Transition{ProjectID: "p", Region: "cn-north-4", TaskID: "t1", TaskName: "EXTEND",
		Status: "RUNNING", Created: true, Seq: 1, Task: json.RawMessage(`{"id":"t1","status":"RUNNING","details":null}`),
		DetectedAt: time.Date(2026, 11, 27, 3, 2, 51, 204e6, time.UTC)})
	good, err := json.Marshal(ProjectFile{Version: Version, ID: "p",
		Project: &diff.ProjectState{Horizon: 1700000000000, Tasks: diff.TasksOf(map[string]diff.TaskState{
			"t1": {Status: "RUNNING", Created: 1700000001000, Seq: 1},
		}), Receivers: map[string]map[string]string{"slack[0]": {"t1": "1700000000.000100"}}},
		Outbox: []OrderedPending{{Order: 7, Event: e, Sinks: []string{"nats", "slack[0]"}}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"version":1,"id":"p","project":{"tasks":{}}}`))
	f.Add([]byte(`{"version":1,"id":"p"}`))
	f.Add([]byte(`{"version":2,"id":"p","project":{"tasks":{}}}`))
	f.Add([]byte(`{"version":1,"id":"p","project":{"tasks":null}}`))
	f.Add([]byte(`{"version":1,"id":"p","outbox":[{"order":1,"event":{"id":"x","data":{"project_id":"p"}},"sinks":["nats"]},{"order":1,"event":{"id":"y","data":{"project_id":"p"}},"sinks":["nats"]}]}`))
	f.Add([]byte(`{"version":1,"id":"~","outbox":[{"order":18446744073709551615,"event":{"id":"x","data":{"project_id":"~"}},"sinks":["nats"]}]}`))
	// Learned durations with the time each name's were last learned, and without (older files).
	f.Add([]byte(`{"version":1,"id":"p","project":{"tasks":{},"durations":{"EXTEND":[60000,61000]},"learned_at":{"EXTEND":1700000000}}}`))
	f.Add([]byte(`{"version":1,"id":"p","project":{"tasks":{},"durations":{"EXTEND":[60000,-1]},"learned_at":{"GONE":-9223372036854775808}}}`))
	f.Add([]byte(`{"version":1,"id":"p","project":{"tasks":{},"durations":{"EXTEND":[60000]}}}`))
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		pf, err := DecodeProject(b)
		if err != nil {
			return
		}
		_ = ProjectFileName(pf.ID)
		first, err := json.Marshal(pf)
		if err != nil {
			t.Fatalf("a project file that loads cannot be saved: %v", err)
		}
		pf2, err := DecodeProject(first)
		if err != nil {
			t.Fatalf("a saved project file does not load: %v\n%s", err, first)
		}
		second, err := json.Marshal(pf2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("project file changes across save and load:\n%s\n%s", first, second)
		}
	})
}
