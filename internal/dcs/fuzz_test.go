package dcs

import (
	"encoding/json"
	"os"
	"testing"
)

// FuzzDecode feeds arbitrary bodies to the tolerant decoder. Whatever it keeps must be
// usable downstream: a task always has an id, its Raw is valid JSON, and decoding that
// Raw again (alone in a page) gives the same id, name, status and times.
func FuzzDecode(f *testing.F) {
	doc, err := os.ReadFile("testdata/doc-example.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(doc)
	for _, s := range []string{
		`{"task_count":1,"tasks":[{"id":"a"}]}`,
		`{"task_count":"1","tasks":[{"id":"a","status":"RUNNING"}]}`,
		`{"tasks":[{"id":""},{"name":"x"},{"id":"b"}]}`,
		`{"tasks":[1,"x",null,[],{"id":"c"}]}`,
		`{"tasks":[{"id":42,"status":7,"name":true}]}`,
		`{"tasks":[{"id":"d","status":"RUNNING"},{"id":"d","status":"SUCCESS"}]}`,
		`{"tasks":[{"id":"t","created_at":"1592379522503","updated_at":"2020-06-17 07:38:42"}]}`,
		`{"tasks":[{"id":"n","details":{"a":{"b":{"c":[[[[{"d":null}]]]]}}}}]}`,
		`{"tasks":[{"id":"dup","id":"other","ID":"upper"}]}`,
		`{"tasks":[{"id":"\ud800","name":"\u0000<!channel>"}]}`,
		"{\"tasks\":[{\"id\":\"bad\xff\",\"name\":\"\xfe\"}]}",
		`{"task_count":3,"tasks":[{"id":"a"`,
		`<html><body>502 Bad Gateway</body></html>`,
		`{"task_count":3}`,
		`[]`,
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := Decode(body)
		if err != nil {
			return
		}
		if p.Skipped < 0 {
			t.Fatalf("skipped %d", p.Skipped)
		}
		for i, task := range p.Tasks {
			if task.ID == "" {
				t.Fatalf("task %d has an empty id", i)
			}
			if !json.Valid(task.Raw) {
				t.Fatalf("task %d: Raw is not valid JSON: %q", i, task.Raw)
			}
			again, err := Decode([]byte(`{"tasks":[` + string(task.Raw) + `]}`))
			if err != nil {
				t.Fatalf("task %d: its own Raw does not decode: %v", i, err)
			}
			if len(again.Tasks) != 1 {
				t.Fatalf("task %d: its own Raw gives %d tasks", i, len(again.Tasks))
			}
			a := again.Tasks[0]
			if a.ID != task.ID || a.Name != task.Name || a.Status != task.Status ||
				!a.Created.Equal(task.Created) || !a.Updated.Equal(task.Updated) {
				t.Fatalf("task %d does not round-trip:\n got %+v\nwant %+v", i, a, task)
			}
		}
	})
}
