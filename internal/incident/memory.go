package incident

import "strings"

// MemoryKey is where a receiver remembers an open incident: its dedup key and its kind,
// "dcs/{project_id}/{task_id}#DCSTaskFailed", so that a task may have several (a running
// switchover that is also stuck).
func MemoryKey(o Open) string { return o.Key + "#" + o.Alert }

// Recaller is the part of a receiver's sinks.Memory a View reads.
type Recaller interface {
	Recall(project, key string) (string, bool)
	Recollect() map[string]map[string]string
}

// NewView returns the View of what a receiver remembers in project, stored under
// MemoryKey as JSON objects that Decode reads.
func NewView(mem Recaller, project string) View { return memView{mem, project} }

type memView struct {
	mem     Recaller
	project string
}

func (v memView) Opened(key string) []Open {
	var out []Open
	for _, a := range Alerts {
		if s, ok := v.mem.Recall(v.project, key+"#"+a); ok {
			if o, ok := Decode(s); ok {
				out = append(out, o)
			}
		}
	}
	return out
}

func (v memView) All() []Open {
	var out []Open
	for k, s := range v.mem.Recollect()[v.project] {
		if !strings.Contains(k, "#") {
			continue
		}
		if o, ok := Decode(s); ok {
			out = append(out, o)
		}
	}
	return out
}
