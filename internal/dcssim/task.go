package dcssim

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"time"
)

// TimeLayout is the API's timestamp format: UTC with millisecond precision.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// TimeLayoutSeconds and TimeLayoutSpace are other shapes of timestamps Huawei APIs use, for
// Options.TimeFormat: whole seconds with a Z, and a space with no zone at all (meant as UTC).
const (
	TimeLayoutSeconds = "2006-01-02T15:04:05Z"
	TimeLayoutSpace   = "2006-01-02 15:04:05"
)

// WindowLayout is the format of the start_time, begin_time and end_time query parameters (UTC).
const WindowLayout = "20060102150405"

// Task is one task as the API returns it.
//
// It marshals like the API: field order as in the vendor's example, times in TimeLayout (a zero
// time as ""), a nil Details as null, and params left out when empty (the example has none).
type Task struct {
	ID         string
	Name       string
	JobID      string
	UserName   string
	UserID     string
	Details    map[string]any
	Params     string
	Status     string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ErrorCode  string
	EnableShow bool
	// Extra holds fields the documentation does not know; they are merged into the JSON object
	// after the documented ones, in key order. A key that names a documented field is ignored.
	Extra map[string]any

	layout string // the times' layout in a response (Options.TimeFormat); "" is TimeLayout
}

// documented lists the JSON names of Task's own fields, in the order they are written.
var documented = []string{
	"id", "name", "job_id", "user_name", "user_id", "details", "params",
	"status", "created_at", "updated_at", "error_code", "enable_show",
}

// MarshalJSON writes the task the way the API does.
func (t Task) MarshalJSON() ([]byte, error) {
	fields := []struct {
		key string
		val any
	}{
		{"id", t.ID}, {"name", t.Name}, {"job_id", t.JobID}, {"user_name", t.UserName},
		{"user_id", t.UserID}, {"details", t.Details}, {"params", t.Params},
		{"status", t.Status}, {"created_at", apiTime(t.CreatedAt, t.layout)},
		{"updated_at", apiTime(t.UpdatedAt, t.layout)}, {"error_code", t.ErrorCode},
		{"enable_show", t.EnableShow},
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	write := func(key string, val any) error {
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(key)
		v, err := json.Marshal(val)
		if err != nil {
			return err
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
		return nil
	}
	for _, f := range fields {
		if f.key == "params" && t.Params == "" {
			continue
		}
		if err := write(f.key, f.val); err != nil {
			return nil, err
		}
	}
	keys := make([]string, 0, len(t.Extra))
	for k := range t.Extra {
		if !slices.Contains(documented, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := write(k, t.Extra[k]); err != nil {
			return nil, err
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// apiTime formats t in layout (TimeLayout when empty), or "" for the zero time (a task still
// running has no end).
func apiTime(t time.Time, layout string) string {
	if t.IsZero() {
		return ""
	}
	if layout == "" {
		layout = TimeLayout
	}
	return t.UTC().Format(layout)
}

// clone returns t with its own top-level Details and Extra maps, so that the caller and the
// simulator never share a map that one of them might write.
func (t Task) clone() Task {
	t.Details = maps.Clone(t.Details) // nil stays nil, so it still marshals as null
	t.Extra = maps.Clone(t.Extra)
	return t
}

// newer reports whether a sorts before b in the API's order: newest created_at first, ties
// broken by id descending so that pages are stable.
func newer(a, b Task) int {
	if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
		return c
	}
	switch {
	case a.ID > b.ID:
		return -1
	case a.ID < b.ID:
		return 1
	}
	return 0
}

// DocExample returns the example response body from the vendor's ListCenterTask page, byte for
// byte. It is a test case in its own right: task_count and the capacities are numbers where the
// page's tables say String, and the second task has "details": null.
func DocExample() []byte {
	return []byte(docExample)
}

const docExample = `{
  "task_count" : 2,
  "tasks" : [ {
    "id" : "8abf6e1e72c12e7c0172c15b508500aa",
    "name" : "ChangeInstanceSpec",
    "job_id" : "8abf6e1e87bce0740187bd32748b0530",
    "user_name" : "paas_dcs_a00421997_02",
    "user_id" : "d53977d1adfb49c5b025ba7d33a13fd7",
    "details" : {
      "old_cache_mode" : "single",
      "new_cache_mode" : "single",
      "old_capacity" : 0.125,
      "new_capacity" : 0.25
    },
    "status" : "SUCCESS",
    "created_at" : "2023-06-17T08:18:06.597Z",
    "updated_at" : "2023-06-17T08:18:10.106Z",
    "error_code" : "111400063",
    "enable_show" : true
  }, {
    "id" : "ff80808188bfde180188c36bb9ca4a30",
    "name" : "dcsExportJob",
    "job_id" : "ff80808188bfde180188c36bb9c44a2f",
    "user_name" : "paas_dcs_004_01",
    "user_id" : "bb259bd2b8b644a1b4a573a20318af51",
    "details" : null,
    "status" : "SUCCESS",
    "created_at" : "2023-06-17T08:18:06.597Z",
    "updated_at" : "2023-06-17T08:18:10.106Z",
    "error_code" : "111400063",
    "enable_show" : true
  } ]
}`
