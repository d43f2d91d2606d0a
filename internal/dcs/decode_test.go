package dcs

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestDecodeDocExample(t *testing.T) {
	body, err := os.ReadFile("testdata/doc-example.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Decode(body)
	if err != nil {
		t.Fatalf("the vendor's own example must decode: %v", err)
	}
	if p.Count != 2 || len(p.Tasks) != 2 || p.Skipped != 0 {
		t.Fatalf("count %d, tasks %d, skipped %d; want 2, 2, 0", p.Count, len(p.Tasks), p.Skipped)
	}
	first := p.Tasks[0]
	if first.ID != "8abf6e1e72c12e7c0172c15b508500aa" || first.Name != "ChangeInstanceSpec" || first.Status != "SUCCESS" {
		t.Errorf("first task = %+v", first)
	}
	want := time.Date(2023, 6, 17, 8, 18, 6, 597e6, time.UTC)
	if !first.Created.Equal(want) {
		t.Errorf("created = %v, want %v", first.Created, want)
	}
	// Every field survives, numbers stay numbers.
	var raw map[string]any
	if err := json.Unmarshal(first.Raw, &raw); err != nil {
		t.Fatal(err)
	}
	details := raw["details"].(map[string]any)
	if details["old_capacity"] != 0.125 || details["new_capacity"] != 0.25 {
		t.Errorf("details = %v", details)
	}
	for _, k := range []string{"id", "name", "job_id", "user_name", "user_id", "details", "status", "created_at", "updated_at", "error_code", "enable_show"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("field %s lost", k)
		}
	}
	var second map[string]any
	if err := json.Unmarshal(p.Tasks[1].Raw, &second); err != nil {
		t.Fatal(err)
	}
	if v, ok := second["details"]; !ok || v != nil {
		t.Errorf("details: null must stay null, got %v (present %v)", v, ok)
	}
}

func TestDecodeTolerance(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		count   int
		ids     []string
		skipped int
		wantErr bool
	}{
		{name: "count as number", body: `{"task_count":1,"tasks":[{"id":"a"}]}`, count: 1, ids: []string{"a"}},
		{name: "count as string", body: `{"task_count":"1","tasks":[{"id":"a"}]}`, count: 1, ids: []string{"a"}},
		{name: "count missing", body: `{"tasks":[{"id":"a"}]}`, count: -1, ids: []string{"a"}},
		{name: "tasks null", body: `{"task_count":0,"tasks":null}`, count: 0},
		{name: "empty id skipped", body: `{"tasks":[{"id":""},{"name":"x"},{"id":"b"}]}`, count: -1, ids: []string{"b"}, skipped: 2},
		{name: "non-object entries skipped", body: `{"tasks":[1,"x",null,[],{"id":"c"}]}`, count: -1, ids: []string{"c"}, skipped: 4},
		{name: "numeric id kept as text", body: `{"tasks":[{"id":42,"status":7}]}`, count: -1, ids: []string{"42"}},
		{name: "unknown fields kept", body: `{"tasks":[{"id":"u","brand_new":{"x":[1,2]}}],"extra":true}`, count: -1, ids: []string{"u"}},
		{name: "same id twice both returned", body: `{"tasks":[{"id":"d","status":"RUNNING"},{"id":"d","status":"SUCCESS"}]}`, count: -1, ids: []string{"d", "d"}},
		{name: "no tasks key", body: `{"task_count":3}`, wantErr: true},
		{name: "truncated", body: `{"task_count":3,"tasks":[{"id":"a"`, wantErr: true},
		{name: "html", body: `<html><body>502 Bad Gateway</body></html>`, wantErr: true},
		{name: "empty", body: ``, wantErr: true},
		{name: "array", body: `[]`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Decode([]byte(tt.body))
			if tt.wantErr {
				if !errors.Is(err, ErrDecode) {
					t.Fatalf("err = %v, want ErrDecode", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, task := range p.Tasks {
				ids = append(ids, task.ID)
			}
			if p.Count != tt.count || strings.Join(ids, ",") != strings.Join(tt.ids, ",") || p.Skipped != tt.skipped {
				t.Errorf("count %d ids %v skipped %d; want %d %v %d", p.Count, ids, p.Skipped, tt.count, tt.ids, tt.skipped)
			}
		})
	}
}

func TestDecodeInvalidUTF8(t *testing.T) {
	body := []byte("{\"tasks\":[{\"id\":\"a\",\"name\":\"bad\xff\xfe\"}]}")
	p, err := Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(p.Tasks[0].Raw) || strings.ContainsRune(string(p.Tasks[0].Raw), '\xff') {
		t.Errorf("raw task is not clean JSON: %q", p.Tasks[0].Raw)
	}
	if p.Tasks[0].Name != "bad\uFFFD" {
		t.Errorf("name = %q", p.Tasks[0].Name)
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2020, 6, 17, 7, 38, 42, 503e6, time.UTC)
	for _, s := range []string{"2020-06-17T07:38:42.503Z", "2020-06-17T07:38:42.503", "2020-06-17 07:38:42.503", "2020-06-17T15:38:42.503+0800", "1592379522503"} {
		if got := ParseTime(s); !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, want %v", s, got, want)
		}
	}
	for _, s := range []string{"", "yesterday", "17/06/2020", "12"} {
		if got := ParseTime(s); !got.IsZero() {
			t.Errorf("ParseTime(%q) = %v, want zero", s, got)
		}
	}
}
