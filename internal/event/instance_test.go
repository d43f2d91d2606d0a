package event

import (
	"encoding/json"
	"testing"
)

func TestInstance(t *testing.T) {
	for _, c := range []struct{ task, id, name string }{
		{`{"id":"t1","name":"AddReplica"}`, "", ""},
		{`{"instance_id":"i-1","instance_name":"redis-prod"}`, "i-1", "redis-prod"},
		{`{"instance_id":"  i-1 "}`, "i-1", ""},
		{`{"params":"{\"instance_id\":\"i-2\",\"instance_name\":\"cache\"}"}`, "i-2", "cache"},
		{`{"params":{"instance_id":"i-3"}}`, "i-3", ""},
		{`{"details":{"instance_name":"from-details"}}`, "", "from-details"},
		{`{"instance_id":"top","params":"{\"instance_id\":\"p\",\"instance_name\":\"pn\"}","details":{"instance_name":"dn"}}`, "top", "pn"},
		{`{"params":"not json","details":null}`, "", ""},
		{`{"params":"[1,2]","instance_id":null,"instance_name":{"x":1}}`, "", ""},
		{`{"instance_id":12345}`, "12345", ""},
		{`{"instance_id":true,"instance_name":""}`, "", ""},
		{`[1,2]`, "", ""},
		{``, "", ""},
		{`null`, "", ""},
	} {
		id, name := Instance(json.RawMessage(c.task))
		if id != c.id || name != c.name {
			t.Errorf("Instance(%s) = %q, %q; want %q, %q", c.task, id, name, c.id, c.name)
		}
	}
}

// TestInstanceInData: the fields are in the CloudEvent data when set, and absent when not.
func TestInstanceInData(t *testing.T) {
	e := New(Transition{ProjectID: "p", TaskID: "t", Task: json.RawMessage(`{"id":"t"}`)})
	b, _ := json.Marshal(e)
	var m map[string]map[string]any
	_ = json.Unmarshal(b, &m)
	for _, k := range []string{"instance_id", "instance_name"} {
		if _, ok := m["data"][k]; ok {
			t.Errorf("data has %s when the task has none: %s", k, b)
		}
	}
	e.Data.InstanceID, e.Data.InstanceName = "i-1", "redis-prod"
	b, _ = json.Marshal(e)
	var back Event
	if err := json.Unmarshal(b, &back); err != nil || back.Data.InstanceID != "i-1" || back.Data.InstanceName != "redis-prod" {
		t.Errorf("round trip lost the instance: %+v, %v", back.Data, err)
	}
}

func FuzzInstance(f *testing.F) {
	f.Add(`{"params":"{\"instance_id\":\"x\"}"}`)
	f.Fuzz(func(t *testing.T, s string) {
		id, name := Instance(json.RawMessage(s))
		if !json.Valid([]byte(s)) && (id != "" || name != "") {
			t.Fatalf("invalid JSON %q gave %q, %q", s, id, name)
		}
	})
}
