package event

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Instance returns the id and the name of the DCS instance a task is about, when the task
// says: a top-level instance_id or instance_name, else the same key in params (when params
// is a JSON object, or a string holding one), else in details. Each is looked up on its
// own, in that order; a value that is not a non-empty string or number is absent. The
// documented schema has none of these fields, so both are often empty: nothing is guessed.
func Instance(task json.RawMessage) (id, name string) {
	if !mayName(task) {
		return "", ""
	}
	var t map[string]json.RawMessage
	if json.Unmarshal(task, &t) != nil {
		return "", ""
	}
	// params and details are decoded only when a key is not at the top level.
	var params, details map[string]json.RawMessage
	var decoded bool
	find := func(key string) string {
		if v := text(t[key]); v != "" {
			return v
		}
		if !decoded {
			params, details, decoded = object(t["params"]), object(t["details"]), true
		}
		if v := text(params[key]); v != "" {
			return v
		}
		return text(details[key])
	}
	return find("instance_id"), find("instance_name")
}

// mayName is false when no key of task, nor of a string in it holding JSON, can decode to
// instance_id or instance_name: its bytes hold neither "instance_" nor a \u escape, the
// only escape that spells a letter or an underscore, at any depth of quoting (a \u inside
// a string holding JSON is written \\u, which holds \u too). Most tasks name no instance,
// and decoding each of a burst's 10,000 tasks into maps three times made this lookup 80 %
// of the diff's time.
func mayName(task []byte) bool {
	return bytes.Contains(task, []byte("instance_")) || bytes.Contains(task, []byte(`\u`))
}

// object decodes a JSON object, or a JSON string holding one; anything else is nil.
func object(raw json.RawMessage) map[string]json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	var m map[string]json.RawMessage
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil || json.Unmarshal([]byte(s), &m) != nil {
			return nil
		}
		return m
	}
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

// text is a JSON string (trimmed) or number (as written) as text; "" for anything else.
// raw is one value as a decoded object holds it: valid, without surrounding white space.
func text(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return ""
		}
		return strings.TrimSpace(s)
	case c == '-' || c >= '0' && c <= '9':
		return string(raw)
	}
	return ""
}
