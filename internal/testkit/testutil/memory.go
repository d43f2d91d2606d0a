package testutil

import (
	"context"
	"maps"
	"sync"
)

// Memory is one receiver's memory (sinks.Memory) in a map, for a sink's own tests; the
// pipeline's tests use the real one, state.Ledger.Memory. "" forgets a key, as there.
type Memory struct {
	mu        sync.Mutex
	kv        map[string]map[string]string
	unwatched map[string]bool
}

// NewMemory returns an empty Memory.
func NewMemory() *Memory { return &Memory{kv: map[string]map[string]string{}} }

// Recall returns the value kept under key for project.
func (m *Memory) Recall(project, key string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.kv[project][key]
	return v, ok
}

// Recollect returns a copy of everything kept, by project then key.
func (m *Memory) Recollect() map[string]map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]map[string]string{}
	for p, kv := range m.kv {
		out[p] = maps.Clone(kv)
	}
	return out
}

// Remember sets each key of project to its value, forgetting those set to "".
func (m *Memory) Remember(_ context.Context, project string, kv map[string]string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.kv[project] == nil {
		m.kv[project] = map[string]string{}
	}
	for k, v := range kv {
		if v == "" {
			delete(m.kv[project], k)
		} else {
			m.kv[project][k] = v
		}
	}
	return nil
}

// Len returns how many keys project has.
func (m *Memory) Len(project string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.kv[project])
}

// Watched is true unless Unwatch was called for project.
func (m *Memory) Watched(project string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.unwatched[project]
}

// Unwatch makes project one no longer polled, as a project removed from the config is.
func (m *Memory) Unwatch(project string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.unwatched == nil {
		m.unwatched = map[string]bool{}
	}
	m.unwatched[project] = true
}
