package state

import (
	"bytes"
	"encoding/json"
	"slices"
)

// maxField is the largest top-level field of a task kept when its event must shrink.
const maxField = 1 << 10

// fit returns e as the store can keep it: e itself, or, when its event would not fit in a
// value the server takes, a copy whose task keeps only its short top-level fields (id,
// name, status, times, error code). A task with a huge field (details of a megabyte)
// would otherwise fail every commit of its project.
func (s *KV) fit(e storedEvent) storedEvent {
	if s.maxValue <= 0 {
		return e
	}
	b, err := encodeValue(e)
	if err != nil || int64(len(b)) <= s.maxValue/2 {
		return e
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(e.Event.Data.Task, &fields) != nil {
		fields = nil
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	for _, k := range sortedKeys(fields) {
		if len(fields[k]) > maxField {
			continue
		}
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(fields[k])
	}
	buf.WriteByte('}')
	e.Event.Data.Task = buf.Bytes()
	return e
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
