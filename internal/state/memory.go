package state

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"notifier/internal/diff"
)

// MaxMemory bounds how many keys one receiver may remember per project: past it, Remember
// refuses new keys (a receiver forgets what is over as it goes; this only stops a runaway).
const MaxMemory = 10000

// Memory is what one receiver remembers, per project, in the ledger's snapshot: saved
// with the project's state, so it survives restarts, SIGKILLs and fail-overs with it.
type Memory struct {
	l    *Ledger
	sink string
}

// Memory returns what sink remembers.
func (l *Ledger) Memory(sink string) *Memory { return &Memory{l: l, sink: sink} }

// Recall returns the value sink remembers under key for project.
func (m *Memory) Recall(project, key string) (string, bool) {
	m.l.mu.Lock()
	defer m.l.mu.Unlock()
	st := m.l.snap.Projects[project]
	if st == nil {
		return "", false
	}
	v, ok := st.Receivers[m.sink][key]
	return v, ok
}

// Recollect returns a copy of everything sink remembers, by project then key.
func (m *Memory) Recollect() map[string]map[string]string {
	m.l.mu.Lock()
	defer m.l.mu.Unlock()
	out := map[string]map[string]string{}
	for p, st := range m.l.snap.Projects {
		if kv := st.Receivers[m.sink]; len(kv) > 0 {
			out[p] = maps.Clone(kv)
		}
	}
	return out
}

// Watched reports whether project is polled by the ledger's unit (see Watching). What a
// receiver holds for a project that is not, nothing but the receiver will ever end.
func (m *Memory) Watched(project string) bool {
	return m.l.watching == nil || m.l.watching[project] // set once by NewLedger: no lock
}

// Remember sets, for project, each key to its value ("" forgets the key), and saves. When
// the save fails the change is kept in memory and saved with the next one, as Done does;
// the error is returned so that the caller can say so.
func (m *Memory) Remember(ctx context.Context, project string, kv map[string]string) error {
	if len(kv) == 0 {
		return nil
	}
	l := m.l
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.snap.Projects[project]
	if st == nil {
		return fmt.Errorf("receiver %s: project %s has no state to remember with", m.sink, project)
	}
	mine := maps.Clone(st.Receivers[m.sink])
	if mine == nil {
		mine = map[string]string{}
	}
	changed := false
	for k, v := range kv {
		old, had := mine[k]
		switch {
		case v == "" && had:
			delete(mine, k)
			changed = true
		case v == "" || v == old:
		case !had && len(mine) >= MaxMemory:
			return fmt.Errorf("receiver %s: project %s: already %d keys remembered", m.sink, project, MaxMemory)
		default:
			mine[k] = v
			changed = true
		}
	}
	if !changed {
		return nil
	}
	next := *st
	next.Receivers = maps.Clone(st.Receivers)
	if next.Receivers == nil {
		next.Receivers = map[string]map[string]string{}
	}
	if len(mine) == 0 {
		delete(next.Receivers, m.sink)
	} else {
		next.Receivers[m.sink] = mine
	}
	if len(next.Receivers) == 0 {
		next.Receivers = nil
	}
	projects := maps.Clone(l.snap.Projects)
	projects[project] = &next
	l.snap = &Snapshot{Version: Version, Projects: projects, Outbox: l.snap.Outbox}
	l.dirty = true
	return l.saveLocked(ctx)
}

// keepMemory carries what the receivers remember from the committed state of a project
// into its next state. Only the ledger writes receivers' memory: whatever next holds was
// copied from a state read earlier (diff.Blind copies the whole state), and may bring
// back what a receiver forgot since (a resolved alert). next is not modified.
func keepMemory(cur, next *diff.ProjectState) *diff.ProjectState {
	if next == nil {
		return next
	}
	var mem map[string]map[string]string
	if cur != nil {
		mem = cur.Receivers
	}
	if len(mem) == 0 && len(next.Receivers) == 0 {
		return next
	}
	n := *next
	n.Receivers = mem
	return &n
}

// forgetRemoved drops what receivers no longer configured remember; it returns, per such
// receiver, how many keys it remembered over every project (nil when nothing was
// dropped). projects is modified in place (it is the ledger's fresh copy).
func forgetRemoved(projects map[string]*diff.ProjectState, sinks []string) map[string]int {
	var forgot map[string]int
	for id, st := range projects {
		var keep map[string]map[string]string
		drop := false
		for s, kv := range st.Receivers {
			if !slices.Contains(sinks, s) {
				drop = true
				if forgot == nil {
					forgot = map[string]int{}
				}
				forgot[s] += len(kv)
			}
		}
		if !drop {
			continue
		}
		for s, kv := range st.Receivers {
			if slices.Contains(sinks, s) {
				if keep == nil {
					keep = map[string]map[string]string{}
				}
				keep[s] = kv
			}
		}
		n := *st
		n.Receivers = keep
		projects[id] = &n
	}
	return forgot
}

// Forgotten returns, per receiver no longer configured, how many keys it remembered (open
// incidents, live cards) that NewLedger dropped with it: a renamed receiver starts with
// nothing remembered, so the caller should say so.
func (l *Ledger) Forgotten() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.forgot)
}
