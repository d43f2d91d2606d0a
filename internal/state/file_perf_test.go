package state

import (
	"bytes"
	"encoding/json"
	"testing"

	"notifier/internal/diff"
)

// TestProjectFileEncodingIsJSONMarshal: the save that reuses event encodings writes
// exactly what json.Marshal of the ProjectFile would, through a sequence of commits and
// deliveries.
func TestProjectFileEncodingIsJSONMarshal(t *testing.T) {
	f, err := OpenFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, evs := burst(50)
	outboxes := [][]Pending{
		nil,
		{{Event: evs[0], Sinks: []string{"nats", "slack[0]<&>"}}, {Event: evs[1], Sinks: []string{"nats"}}},
		{{Event: evs[1], Sinks: []string{"slack[0]"}}},
	}
	for i, outbox := range outboxes {
		for _, p := range []*diff.ProjectState{st, nil, {Horizon: 3, Tasks: st.Tasks}} {
			if p == nil && len(outbox) == 0 {
				continue
			}
			idx := make([]int, len(outbox))
			want := ProjectFile{Version: Version, ID: "p<&>", Project: p}
			for j := range outbox {
				idx[j] = j
				se := f.events[outbox[j].Event.ID]
				if se.order == 0 {
					f.order++
					se.order = f.order
					f.events[outbox[j].Event.ID] = se
				}
				want.Outbox = append(want.Outbox, OrderedPending{Order: se.order, Event: outbox[j].Event, Sinks: outbox[j].Sinks})
			}
			var enc []byte
			if p != nil {
				enc, _ = json.Marshal(p)
			}
			got, err := f.encodeProject("p<&>", enc, outbox, idx)
			if err != nil {
				t.Fatal(err)
			}
			wantB, _ := json.Marshal(want)
			if !bytes.Equal(got, wantB) {
				t.Errorf("outbox %d:\n got %.300s\nwant %.300s", i, got, wantB)
			}
		}
	}
}

// writeJSON writes what json.Marshal does, on its fast path and off it.
func TestWriteJSONIsJSONMarshal(t *testing.T) {
	for _, s := range []string{"", "nats", "slack[0]", "a\"b", `a\b`, "<&>", "\x00\x1f\x7f", "ü", "\u2028", "\xff", "pagerduty[12]"} {
		var buf bytes.Buffer
		writeJSON(&buf, s)
		want, _ := json.Marshal(s)
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%q: got %s, want %s", s, buf.Bytes(), want)
		}
	}
}
