package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// instanceByDecoding is Instance as it was first written: every task decoded into maps,
// params and details too, each value decoded on its own. Instance must answer as it does.
func instanceByDecoding(task json.RawMessage) (id, name string) {
	var t map[string]json.RawMessage
	if decodeStrict(task, &t) != nil {
		return "", ""
	}
	places := []map[string]json.RawMessage{t, objectByDecoding(t["params"]), objectByDecoding(t["details"])}
	find := func(key string) string {
		for _, p := range places {
			if v := textByDecoding(p[key]); v != "" {
				return v
			}
		}
		return ""
	}
	return find("instance_id"), find("instance_name")
}

func objectByDecoding(raw json.RawMessage) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if decodeStrict(raw, &m) == nil {
		return m
	}
	var s string
	if decodeStrict(raw, &s) == nil && decodeStrict([]byte(s), &m) == nil {
		return m
	}
	return nil
}

func textByDecoding(raw json.RawMessage) string {
	var v any
	if decodeStrict(raw, &v) != nil {
		return ""
	}
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case json.Number:
		return x.String()
	}
	return ""
}

func decodeStrict(raw []byte, v any) error {
	if !json.Valid(raw) {
		return errors.New("invalid JSON")
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	return d.Decode(v)
}

// TestInstanceAnswersAsDecoding: the shortcut for tasks that cannot name an instance (no
// "instance_", no \u escape) and the lazy decoding of params and details change no
// answer, escaped keys, duplicate keys and strings holding JSON included.
func TestInstanceAnswersAsDecoding(t *testing.T) {
	for _, s := range instanceCorpus {
		id, name := Instance(json.RawMessage(s))
		wid, wname := instanceByDecoding(json.RawMessage(s))
		if id != wid || name != wname {
			t.Errorf("Instance(%s) = %q, %q; decoding every map gives %q, %q", s, id, name, wid, wname)
		}
	}
}

var instanceCorpus = []string{
	`{"id":"t1","name":"AddReplica"}`,
	`{"instance_id":"i-1","instance_name":"redis-prod"}`,
	`{"instance\u005fid":"esc","instance_nam\u0065":"esc-name"}`,
	`{"params":"{\"instance\\u005fid\":\"deep\"}"}`,
	`{"params":"{\"\\u0069nstance_name\":\"deep-name\"}","details":"{\"instance_id\":7}"}`,
	`{"instance_id":"a","instance_id":"b"}`,
	`{"instance_id":"","params":{"instance_id":" p "},"details":{"instance_id":"d"}}`,
	`{"instance_id":-1.5e3,"instance_name":0}`,
	`{"params":"null","details":"[\"instance_id\"]"}`,
	`{"params":"\"{\\\"instance_id\\\":\\\"twice\\\"}\""}`,
	`{"instance_id":"x"} trailing`,
	`{"instance_id":"x"`,
	` {"instance_id" : "spaced" , "instance_name" : 12 } `,
	`{"details":{"instance_name":{"instance_name":"nested"}}}`,
	`{"Instance_ID":"case","INSTANCE_NAME":"case"}`,
	"{\"instance_id\":\"\xff\xfe\"}",
	`null`, `[]`, `"instance_id"`, ``,
}

// FuzzInstanceAnswersAsDecoding extends the test to any input.
func FuzzInstanceAnswersAsDecoding(f *testing.F) {
	for _, s := range instanceCorpus {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, name := Instance(json.RawMessage(s))
		wid, wname := instanceByDecoding(json.RawMessage(s))
		if id != wid || name != wname {
			t.Fatalf("Instance(%q) = %q, %q; decoding every map gives %q, %q", s, id, name, wid, wname)
		}
	})
}
