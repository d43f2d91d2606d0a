package state

import (
	"bytes"
	"encoding/json"
	"slices"
)

// maxField is the largest top-level field of a task kept when its event must shrink.
const maxField = 1 << 10

// truncatedKey marks a task that lost fields so that its event fits in the store.
const truncatedKey = "truncated"

// readFields are the task fields the event and its renderings read (routing, the Slack
// card and digest, mutes, the status page, the instance): kept while anything can be.
var readFields = []string{
	"id", "name", "status", "created_at", "updated_at", "user_name", "error_code", "job_id",
	"instance_id", "instance_name", "details", "params",
}

// namingFields name the task and route its event (severity, incident key): the last kept.
var namingFields = []string{"id", "name", "status"}

// fit returns e as the store can keep it: e itself, or, when its event would not fit in
// half a value the server takes, a copy whose task is cut down step by step until it
// does: first to its short top-level fields, then to the short ones read downstream, then
// to those naming it, and at last to nothing but the marker "truncated": true. A shrunk
// task always carries that marker. Whatever the task's shape (one huge field, thousands of
// small ones, not an object at all) the steps are finite and the last one leaves only the
// event's own fields, so a task can never fail every commit of its project.
func (s *KV) fit(e storedEvent) storedEvent {
	if s.maxValue <= 0 || len(e.Event.Data.Task) == 0 || s.small(e) {
		return e
	}
	fields := taskFields(e.Event.Data.Task)
	steps := []func(k string) bool{
		func(string) bool { return true },
		func(k string) bool { return slices.Contains(readFields, k) },
		func(k string) bool { return slices.Contains(namingFields, k) },
		func(string) bool { return false },
	}
	for _, keep := range steps {
		e.Event.Data.Task = shrunk(fields, keep)
		if s.small(e) {
			break
		}
	}
	return e // too large even without its task only if the event's own fields are: checkSize says so
}

// small reports whether e encodes within half the largest value, so that a chunk of the
// inbox always has room for it.
func (s *KV) small(e storedEvent) bool {
	b, err := encodeValue(e)
	return err == nil && int64(len(b)) <= s.maxValue/2
}

// taskFields decodes a task object by field; anything else has no fields to keep.
func taskFields(task json.RawMessage) map[string]json.RawMessage {
	var fields map[string]json.RawMessage
	if json.Unmarshal(task, &fields) != nil {
		return nil
	}
	return fields
}

// shrunk writes the fields that keep selects and that are at most maxField long, in key
// order, followed by the marker.
func shrunk(fields map[string]json.RawMessage, keep func(string) bool) json.RawMessage {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for _, k := range sortedKeys(fields) {
		if k == truncatedKey || len(fields[k]) > maxField || !keep(k) {
			continue
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(fields[k])
		buf.WriteByte(',')
	}
	buf.WriteString(`"` + truncatedKey + `":true}`)
	return buf.Bytes()
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
