package event

import "encoding/json"

// TaskError returns the error code and message a task carries: its top-level error_code
// and error_msg (the names the DCS API gives an error), each else in details. The
// documented task schema has error_code alone, and a succeeded task may carry one too:
// the caller decides whether the task failed. A value that is not a non-empty string or
// number is absent.
func TaskError(task json.RawMessage) (code, message string) {
	var t map[string]json.RawMessage
	if len(task) == 0 || json.Unmarshal(task, &t) != nil {
		return "", ""
	}
	var details map[string]json.RawMessage
	find := func(key string) string {
		if v := text(t[key]); v != "" {
			return v
		}
		if details == nil {
			details = object(t["details"])
		}
		return text(details[key])
	}
	return find("error_code"), find("error_msg")
}
