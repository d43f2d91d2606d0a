// Package dcs reads the Huawei Cloud DCS task center (GET /v2/{project_id}/tasks).
//
// The SDK signs requests and maps regions to endpoints; the body is decoded here, because
// the SDK's typed ListCenterTask cannot decode the API's own example response (task_count
// and capacities arrive as numbers where its model says string).
package dcs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Task is one task from the task center: the fields the notifier reasons about, plus the
// whole object exactly as the API sent it.
type Task struct {
	ID      string
	Name    string
	Status  string
	Created time.Time // zero when created_at is missing or unparseable
	Updated time.Time // zero when updated_at is missing or unparseable
	Raw     json.RawMessage
}

// Page is one decoded response.
type Page struct {
	Count   int    // task_count, or -1 when the response had none
	Tasks   []Task // in response order; tasks without an id are left out
	Skipped int    // elements that were not objects or had no id
}

// ErrDecode marks a body that is not a task-center response.
var ErrDecode = errors.New("malformed task-center response")

type wirePage struct {
	TaskCount json.RawMessage   `json:"task_count"`
	Tasks     []json.RawMessage `json:"tasks"`
}

type wireTask struct {
	ID        flexString `json:"id"`
	Name      flexString `json:"name"`
	Status    flexString `json:"status"`
	CreatedAt flexString `json:"created_at"`
	UpdatedAt flexString `json:"updated_at"`
}

// flexString accepts a JSON string, number, boolean or null, so a field whose type the
// API changes does not fail the whole poll.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	switch string(b) {
	case "null":
		*f = ""
		return nil
	}
	if len(b) > 0 && (b[0] == '{' || b[0] == '[') {
		return fmt.Errorf("want a scalar, got %.20s", b)
	}
	*f = flexString(b)
	return nil
}

// Decode parses a task-center response body tolerantly: task_count may be a number, a
// string or absent, unknown fields are kept in Task.Raw, and invalid UTF-8 is replaced.
// A body that is not a JSON object with a tasks array is an error wrapping ErrDecode.
func Decode(body []byte) (*Page, error) {
	if !utf8.Valid(body) {
		body = bytes.ToValidUTF8(body, []byte("\uFFFD"))
	}
	var w wirePage
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("%w: %v (body starts %s)", ErrDecode, err, Snippet(body))
	}
	if w.Tasks == nil && !hasTasksKey(body) {
		return nil, fmt.Errorf("%w: no tasks array (body starts %s)", ErrDecode, Snippet(body))
	}
	p := &Page{Count: parseCount(w.TaskCount), Tasks: make([]Task, 0, len(w.Tasks))}
	for _, raw := range w.Tasks {
		var wt wireTask
		if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &wt) != nil || wt.ID == "" {
			p.Skipped++
			continue
		}
		p.Tasks = append(p.Tasks, Task{
			ID:      string(wt.ID),
			Name:    string(wt.Name),
			Status:  string(wt.Status),
			Created: ParseTime(string(wt.CreatedAt)),
			Updated: ParseTime(string(wt.UpdatedAt)),
			Raw:     raw,
		})
	}
	return p, nil
}

func hasTasksKey(body []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	_, ok := m["tasks"]
	return ok
}

func parseCount(raw json.RawMessage) int {
	s := strings.Trim(string(raw), `"`)
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z0700",
	"20060102150405",
}

// ParseTime reads the API's timestamps ("2020-06-17T07:38:42.503Z") and the other shapes
// seen from Huawei APIs (no zone means UTC; epoch milliseconds). It returns the zero time
// for anything else.
func ParseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC()
		}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms > 1e11 && ms < 1e14 {
		return time.UnixMilli(ms).UTC()
	}
	return time.Time{}
}

// Snippet quotes the first bytes of a body for an error message.
func Snippet(b []byte) string {
	const max = 64
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "..."
	}
	return strconv.Quote(string(b))
}
