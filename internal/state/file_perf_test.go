package state

import (
	"bytes"
	"encoding/json"
	"testing"

	"notifier/internal/diff"
)

// TestFileEncodingIsJSONMarshal: the save that reuses encodings writes exactly what
// json.Marshal would, through a sequence of commits and deliveries.
func TestFileEncodingIsJSONMarshal(t *testing.T) {
	f, err := OpenFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, evs := burst(50)
	snaps := []*Snapshot{
		Empty(),
		{Version: Version},
		{Version: Version, Projects: map[string]*diff.ProjectState{"p": st, "q": nil, "a<&>": {Tasks: diff.TasksOf(map[string]diff.TaskState{})}}},
		{Version: Version, Projects: map[string]*diff.ProjectState{"p": st}, Outbox: []Pending{{Event: evs[0], Sinks: []string{"nats", "slack[0]"}}, {Event: evs[1]}}},
		{Version: Version, Projects: map[string]*diff.ProjectState{"p": st}, Outbox: []Pending{{Event: evs[1], Sinks: []string{"slack[0]"}}}},
		{Version: Version, Projects: map[string]*diff.ProjectState{"p": {Horizon: 3, Tasks: st.Tasks}}, Outbox: []Pending{}},
	}
	for i, s := range snaps {
		got, err := f.encode(s)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(s)
		if !bytes.Equal(got, want) {
			t.Errorf("snapshot %d:\n got %.300s\nwant %.300s", i, got, want)
		}
	}
}
