package app

import (
	"context"
	"maps"

	"notifier/internal/sinks"
)

// renderMemory is what the receiver called name remembers, for a render: what the state
// holds (a file mode's ledger), with the render's own changes kept apart, so that an
// on-call receiver renders the resolution of an incident it opened and nothing is
// remembered.
func (a *App) renderMemory(name string) sinks.Memory {
	mem := &overlay{kv: map[string]map[string]string{}}
	if fm, ok := a.mode.(*fileMode); ok {
		mem.base = fm.unit.ledger.Memory(name)
	}
	return mem
}

// overlay is a receiver's memory that reads through to base and keeps its own changes.
type overlay struct {
	base sinks.Memory // nil: nothing remembered
	kv   map[string]map[string]string
}

func (o *overlay) Recall(project, key string) (string, bool) {
	if v, ok := o.kv[project][key]; ok {
		return v, v != ""
	}
	if o.base == nil {
		return "", false
	}
	return o.base.Recall(project, key)
}

func (o *overlay) Recollect() map[string]map[string]string {
	out := map[string]map[string]string{}
	if o.base != nil {
		out = o.base.Recollect()
	}
	for p, kv := range o.kv {
		if out[p] == nil {
			out[p] = map[string]string{}
		}
		maps.Copy(out[p], kv)
		maps.DeleteFunc(out[p], func(_, v string) bool { return v == "" })
	}
	return out
}

func (o *overlay) Watched(project string) bool { return o.base == nil || o.base.Watched(project) }

func (o *overlay) Remember(_ context.Context, project string, kv map[string]string) error {
	if o.kv[project] == nil {
		o.kv[project] = map[string]string{}
	}
	maps.Copy(o.kv[project], kv)
	return nil
}
