package dcs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"
	"unicode/utf8"
)

// referenceDecode is the decoder as it was before the single-pass one: encoding/json into
// raw messages, then every task into a struct. The single-pass decoder must agree with it.
// jsonDepth is the deepest nesting of objects and arrays in valid JSON.
func jsonDepth(b []byte) int {
	depth, peak, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
			peak = max(peak, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return peak
}

func referenceDecode(body []byte) (*Page, error) {
	if !utf8.Valid(body) {
		body = bytes.ToValidUTF8(body, []byte("\uFFFD"))
	}
	var w struct {
		TaskCount json.RawMessage   `json:"task_count"`
		Tasks     []json.RawMessage `json:"tasks"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecode, err)
	}
	if w.Tasks == nil {
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) != nil {
			return nil, ErrDecode
		}
		if _, ok := m["tasks"]; !ok {
			return nil, ErrDecode
		}
	}
	p := &Page{Count: parseCount(w.TaskCount), Tasks: make([]Task, 0, len(w.Tasks))}
	for _, raw := range w.Tasks {
		var wt struct {
			ID        flexString `json:"id"`
			Name      flexString `json:"name"`
			Status    flexString `json:"status"`
			CreatedAt flexString `json:"created_at"`
			UpdatedAt flexString `json:"updated_at"`
		}
		if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &wt) != nil || wt.ID == "" || jsonDepth(raw) > maxTaskDepth {
			p.Skipped++
			continue
		}
		p.Tasks = append(p.Tasks, Task{ID: string(wt.ID), Name: string(wt.Name), Status: string(wt.Status),
			Created: ParseTime(string(wt.CreatedAt)), Updated: ParseTime(string(wt.UpdatedAt)), Raw: raw})
	}
	return p, nil
}

func samePage(a, b *Page) error {
	if a.Count != b.Count || a.Skipped != b.Skipped || len(a.Tasks) != len(b.Tasks) {
		return fmt.Errorf("count %d/%d skipped %d/%d tasks %d/%d", a.Count, b.Count, a.Skipped, b.Skipped, len(a.Tasks), len(b.Tasks))
	}
	for i := range a.Tasks {
		x, y := a.Tasks[i], b.Tasks[i]
		if x.ID != y.ID || x.Name != y.Name || x.Status != y.Status || !x.Created.Equal(y.Created) ||
			!x.Updated.Equal(y.Updated) || !bytes.Equal(x.Raw, y.Raw) {
			return fmt.Errorf("task %d: %+v, reference %+v", i, x, y)
		}
	}
	return nil
}

// FuzzDecodeMatchesReference checks the single-pass decoder against encoding/json: both
// accept or refuse a body, and what they keep is the same.
func FuzzDecodeMatchesReference(f *testing.F) {
	doc, err := os.ReadFile("testdata/doc-example.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(doc)
	for _, s := range []string{
		`{"task_count":1,"tasks":[{"id":"a"}]}`, `{"task_count":"7","tasks":[]}`, `{"tasks":null}`,
		`{"Tasks":[{"ID":"x","STATUS":"RUNNING"}]}`, `{"tasks":[{"id":"a\u0041","name":"\"q\""}]}`,
		`{"tasks":[{"id":1e3,"status":-0.5,"name":false}]}`, `{"tasks":[{"id":"a","status":{"x":1}}]}`,
		`{"tasks":[{"id":"a"}],"tasks":[{"id":"b"}]}`, `{"tasks":[{"id":"a"}]} x`, `{"tasks":[01]}`,
		`{"tasks":[1.]}`, `{"tasks":[{"id":"a",}]}`, `{"tasks":[{"id":"a"},]}`, "{\"tasks\":[\"\t\"]}",
		` {"tasks" : [ { "id" : "s" } ] } `, `{"task_count":null,"tasks":[]}`, `{"tasks":[tru]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := Decode(body)
		want, werr := referenceDecode(body)
		if (err == nil) != (werr == nil) {
			t.Fatalf("Decode err %v, reference err %v", err, werr)
		}
		if err != nil {
			if !errors.Is(err, ErrDecode) {
				t.Fatalf("err %v does not wrap ErrDecode", err)
			}
			return
		}
		if e := samePage(got, want); e != nil {
			t.Fatal(e)
		}
	})
}

// TestDecodeDepthLimitMatchesReference: the nesting limit is encoding/json's, to the level.
func TestDecodeDepthLimitMatchesReference(t *testing.T) {
	for _, depth := range []int{9995, 9996, 9997, 9998} { // + 3 levels around details, + 1 array
		body := []byte(`{"tasks":[{"id":"n","details":` + nested(depth) + `}]}`)
		_, err := Decode(body)
		_, werr := referenceDecode(body)
		if (err == nil) != (werr == nil) {
			t.Errorf("depth %d: Decode err %v, reference err %v", depth, err, werr)
		}
	}
}
