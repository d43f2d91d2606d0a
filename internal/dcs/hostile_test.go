package dcs

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// nested returns a details value nested depth levels deep: {"d":{"d":...{"d":[]}...}}.
func nested(depth int) string {
	return strings.Repeat(`{"d":`, depth) + `[]` + strings.Repeat(`}`, depth)
}

// TestDecodeDeeplyNestedDetails: deeply nested details are kept verbatim up to
// maxTaskDepth; a task nested deeper is skipped and counted (the state could not hold it).
// Nesting past encoding/json's own limit is TestDecodeTooDeepIsRefused (depth_test.go).
func TestDecodeDeeplyNestedDetails(t *testing.T) {
	tests := []struct {
		name    string
		depth   int
		wantErr bool
		skipped bool
	}{
		{name: "depth 100", depth: 100},
		{name: "depth 500", depth: 500},
		{name: "depth 5000", depth: 5000, skipped: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"task_count":1,"tasks":[{"id":"n","name":"EXTEND","status":"RUNNING","details":` + nested(tt.depth) + `}]}`
			p, err := Decode([]byte(body))
			if tt.wantErr {
				if !errors.Is(err, ErrDecode) {
					t.Fatalf("err = %v, want ErrDecode", err)
				}
				if len(err.Error()) > 400 {
					t.Errorf("error of %d bytes: the body must be quoted only briefly", len(err.Error()))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.skipped {
				if len(p.Tasks) != 0 || p.Skipped != 1 {
					t.Fatalf("tasks %d skipped %d; want the too-deep task skipped and counted", len(p.Tasks), p.Skipped)
				}
				return
			}
			if len(p.Tasks) != 1 || p.Tasks[0].ID != "n" || p.Tasks[0].Status != "RUNNING" {
				t.Fatalf("tasks = %+v", p.Tasks)
			}
			var raw struct{ Details json.RawMessage }
			if err := json.Unmarshal(p.Tasks[0].Raw, &raw); err != nil || string(raw.Details) != nested(tt.depth) {
				t.Errorf("details not kept verbatim (err %v)", err)
			}
		})
	}
}

// TestDecodeOddTimestamps: a timestamp in a format nobody documented, or none at all,
// leaves the time zero and keeps the task; the raw value is passed on untouched.
func TestDecodeOddTimestamps(t *testing.T) {
	body := `{"tasks":[
		{"id":"iso","created_at":"2020-06-17T07:38:42.503Z"},
		{"id":"missing"},
		{"id":"null","created_at":null,"updated_at":null},
		{"id":"empty","created_at":""},
		{"id":"slashes","created_at":"17/06/2020 07:38"},
		{"id":"epoch-ms","created_at":1592379522503},
		{"id":"epoch-s","created_at":1592379522},
		{"id":"object","created_at":{"sec":1}},
		{"id":"space","created_at":"2020-06-17 07:38:42.503"}
	]}`
	p, err := Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2020, 6, 17, 7, 38, 42, 503e6, time.UTC)
	got := map[string]time.Time{}
	for _, task := range p.Tasks {
		got[task.ID] = task.Created
	}
	for id, w := range map[string]time.Time{
		"iso": want, "missing": {}, "null": {}, "empty": {}, "slashes": {}, "epoch-ms": want, "epoch-s": {}, "space": want,
	} {
		if g, ok := got[id]; !ok || !g.Equal(w) {
			t.Errorf("%s: created %v (kept %v), want %v", id, g, ok, w)
		}
	}
	// A created_at that is an object is not a scalar: the task cannot be read and is
	// skipped (and counted), not the whole page.
	if _, ok := got["object"]; ok || p.Skipped != 1 {
		t.Errorf("object created_at: kept %v, skipped %d; want skipped 1", ok, p.Skipped)
	}
}
