package event

import (
	"encoding/json"
	"testing"
)

func TestTaskError(t *testing.T) {
	for _, tt := range []struct {
		name, task, code, msg string
	}{
		{name: "top level", task: `{"error_code":"111400082","error_msg":" Failed to switch "}`, code: "111400082", msg: "Failed to switch"},
		{name: "number code, message in details", task: `{"error_code":111400082,"details":{"error_msg":"node down"}}`, code: "111400082", msg: "node down"},
		{name: "details as a string", task: `{"details":"{\"error_code\":\"DCS.4001\"}"}`, code: "DCS.4001"},
		{name: "none", task: `{"details":null}`},
		{name: "empty and odd values", task: `{"error_code":"","error_msg":{"a":1}}`},
		{name: "not an object", task: `[1]`},
		{name: "absent", task: ``},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, msg := TaskError(json.RawMessage(tt.task))
			if code != tt.code || msg != tt.msg {
				t.Errorf("TaskError = %q, %q; want %q, %q", code, msg, tt.code, tt.msg)
			}
		})
	}
}
