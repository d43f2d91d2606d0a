package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
)

// Instance returns the id and the name of the DCS instance a task is about, when the task
// says: a top-level instance_id or instance_name, else the same key in params (when params
// is a JSON object, or a string holding one), else in details. Each is looked up on its
// own, in that order; a value that is not a non-empty string or number is absent. The
// documented schema has none of these fields, so both are often empty: nothing is guessed.
func Instance(task json.RawMessage) (id, name string) {
	var t map[string]json.RawMessage
	if dec(task, &t) != nil {
		return "", ""
	}
	places := []map[string]json.RawMessage{t, object(t["params"]), object(t["details"])}
	find := func(key string) string {
		for _, p := range places {
			if v := text(p[key]); v != "" {
				return v
			}
		}
		return ""
	}
	return find("instance_id"), find("instance_name")
}

// object decodes a JSON object, or a JSON string holding one; anything else is nil.
func object(raw json.RawMessage) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if dec(raw, &m) == nil {
		return m
	}
	var s string
	if dec(raw, &s) == nil && dec([]byte(s), &m) == nil {
		return m
	}
	return nil
}

// text is a JSON string or number as text, trimmed; "" for anything else.
func text(raw json.RawMessage) string {
	var v any
	if dec(raw, &v) != nil {
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

// dec decodes raw, which must be valid JSON and nothing more, keeping numbers as written.
func dec(raw []byte, v any) error {
	if !json.Valid(raw) {
		return errInvalid
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	return d.Decode(v)
}

var errInvalid = errors.New("invalid JSON")
