package slacksink

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// task is a raw task object (or its details) by field. Values keep their JSON form:
// the API sends numbers where its documentation says strings, and null for no details.
type task map[string]json.RawMessage

// parseTask decodes a task object; anything that is not an object gives an empty task.
func parseTask(raw json.RawMessage) task {
	var t task
	if json.Unmarshal(raw, &t) != nil {
		return nil
	}
	return t
}

// str returns field k as text, "" when absent or null.
func (t task) str(k string) string { return scalar(t[k]) }

// time returns field k parsed as the API's timestamp, zero when it does not parse.
func (t task) time(k string) time.Time {
	ts, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(t.str(k)))
	if err != nil {
		return time.Time{}
	}
	return ts
}

func (t task) details() task { return parseTask(t["details"]) }

// scalar renders any JSON value as text: strings as they are, numbers as written, booleans
// as yes/no, arrays joined with commas, objects as compact JSON.
func scalar(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return ""
	}
	return show(v)
}

func show(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			if s := strings.TrimSpace(show(e)); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// detail says how to show one detail, or a pair of old and new values.
type detail struct {
	label    string
	old, new string // keys; old is empty for a single value
	unit     string
	onOff    bool // a boolean shown as on/off
	ifTrue   bool // shown only when true
}

// details lists the documented detail fields in the order a reader wants them.
var details = []detail{
	{label: "Capacity", old: "old_capacity", new: "new_capacity", unit: " GB"},
	{label: "Cache mode", old: "old_cache_mode", new: "new_cache_mode"},
	{label: "Cache type", old: "old_cache_type", new: "new_cache_type"},
	{label: "Spec code", old: "old_resource_spec_code", new: "new_resource_spec_code"},
	{label: "Replicas", old: "old_replica_num", new: "new_replica_num"},
	{label: "Port", old: "old_port", new: "new_port"},
	{label: "Source → target IP", old: "source_ip", new: "target_ip"},
	{label: "Public IP", new: "public_ip_address"},
	{label: "Public access", new: "enable_public_ip", onOff: true},
	{label: "SSL", new: "enable_ssl", onOff: true},
	{label: "Public IP id", new: "public_ip_id"},
	{label: "Replica IP", new: "replica_ip"},
	{label: "Replica AZ", new: "replica_az"},
	{label: "Group", new: "group_name"},
	{label: "Node", new: "node_name"},
	{label: "Account", new: "account_name"},
	{label: "Renamed commands", new: "rename_commands"},
	{label: "Config items changed", new: "updated_config_length"},
	{label: "Billing change only", new: "is_only_adjust_charging", ifTrue: true},
}

// detailLines returns one escaped line per detail that has a value: the documented ones
// first, then any the API added since, by name.
func detailLines(d task) []string {
	if len(d) == 0 {
		return nil
	}
	known := map[string]bool{}
	var lines []string
	for _, s := range details {
		known[s.old], known[s.new] = true, true
		if v := s.render(d); v != "" {
			lines = append(lines, "• *"+s.label+":* "+v)
		}
	}
	var extra []string
	for k := range d {
		if !known[k] {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	for _, k := range extra {
		if v := value(d.str(k)); v != "" {
			lines = append(lines, "• "+value(k)+": "+v)
		}
	}
	return lines
}

func (s detail) render(d task) string {
	nv := strings.TrimSpace(d.str(s.new))
	if s.ifTrue && nv != "yes" {
		return ""
	}
	if s.onOff {
		switch nv {
		case "yes":
			nv = "on"
		case "no":
			nv = "off"
		}
	}
	nv = s.with(nv)
	if s.old == "" {
		return nv
	}
	ov := s.with(strings.TrimSpace(d.str(s.old)))
	switch {
	case ov == "" || ov == nv:
		return nv
	case nv == "":
		return "was " + ov
	}
	return ov + " → " + nv
}

// with escapes v and adds the unit, or returns "" for an empty value.
func (s detail) with(v string) string {
	if v = value(v); v == "" {
		return ""
	}
	return v + s.unit
}
