package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"notifier/internal/diff"
)

// Save makes the directory hold s, writing only the project files that changed.
func (f *File) Save(_ context.Context, s *Snapshot) (rerr error) {
	f.mu.Lock()
	defer f.mu.Unlock()

	// The pending events by project, and each one's order: kept from the last save or
	// the load, the next number for an event new since. An id pending twice has one order
	// (the file holds both, next to each other once loaded).
	byProject := map[string][]int{}
	events := make(map[string]savedEvent, len(s.Outbox))
	for i := range s.Outbox {
		e := &s.Outbox[i].Event
		byProject[e.Data.ProjectID] = append(byProject[e.Data.ProjectID], i)
		se, ok := events[e.ID]
		if !ok {
			se, ok = f.events[e.ID]
		}
		if !ok {
			f.order++
			se = savedEvent{order: f.order}
		}
		events[e.ID] = se
	}
	prev := f.events
	f.events = events
	defer func() {
		// A failed save leaves files of the previous save, whose events the next save may
		// hold again (a failed commit's snapshot left out the ones it dropped): they keep
		// their order.
		if rerr != nil {
			for id, se := range prev {
				if _, ok := f.events[id]; !ok {
					f.events[id] = se
				}
			}
		}
	}()

	var err error
	wrote := false
	states, cached := map[string]cachedState{}, 0
	keep := func(id string, c cachedState, idx []int) {
		if len(idx) > 0 && c.st != nil && cached+len(c.enc) <= maxCachedStates {
			states[id] = c
			cached += len(c.enc)
		}
	}
	defer func() { f.states = states }()
	write := func(id string, st *diff.ProjectState, idx []int) {
		if err != nil {
			return
		}
		cur := f.saved[id]
		if st == nil && len(idx) == 0 {
			if cur == nil {
				return
			}
			if rerr := os.Remove(filepath.Join(f.projectsPath(), ProjectFileName(id))); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				err = fmt.Errorf("saving state in %s: %w", f.projectsPath(), rerr)
				cur.stale = true
				return
			}
			delete(f.saved, id)
			wrote = true
			f.told(ProjectFileName(id))
			return
		}
		c, ok := f.states[id]
		if !ok || c.st != st {
			c = cachedState{st: st}
		}
		if !f.full && cur != nil && !cur.stale && cur.st == st && samePending(cur.pending, s.Outbox, idx) {
			keep(id, c, idx)
			return
		}
		if c.enc == nil && st != nil {
			if c.enc, err = json.Marshal(st); err != nil {
				err = fmt.Errorf("encoding state of project %q: %w", id, err)
				return
			}
		}
		b, eerr := f.encodeProject(id, c.enc, s.Outbox, idx)
		if eerr != nil {
			err = fmt.Errorf("encoding state of project %q: %w", id, eerr)
			return
		}
		keep(id, c, idx)
		if werr := f.replace(ProjectFileName(id), b); werr != nil {
			err = werr
			return
		}
		sp := &savedProject{st: st, pending: make([]pendingKey, len(idx))}
		for j, i := range idx {
			// Not a copy: the ledger never modifies a Pending's Sinks (it makes new ones).
			sp.pending[j] = pendingKey{id: s.Outbox[i].Event.ID, sinks: s.Outbox[i].Sinks}
		}
		f.saved[id] = sp
		wrote = true
	}
	for id, st := range s.Projects {
		write(id, st, byProject[id])
	}
	for id, idx := range byProject {
		if _, ok := s.Projects[id]; !ok { // else written above
			write(id, nil, idx)
		}
	}
	for id := range f.saved {
		if _, ok := s.Projects[id]; !ok && len(byProject[id]) == 0 {
			write(id, nil, nil)
		}
	}
	if err != nil {
		return err
	}
	if f.full {
		if err := f.removeOthers(); err != nil {
			return err
		}
		wrote = true
	}
	if wrote {
		if err := syncDir(f.projectsPath()); err != nil {
			for _, sp := range f.saved { // the renames may not be durable: write again
				sp.stale = true
			}
			return err
		}
	}
	if f.full {
		if err := os.Remove(f.legacyPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("saving state in %s: removing %s: %w", f.dir, FileName, err)
		}
		f.told(FileName)
		if err := syncDir(f.dir); err != nil {
			return err
		}
		f.full = false
	}
	return nil
}

// removeOthers removes every project file that f.saved does not know.
func (f *File) removeOthers() error {
	entries, err := os.ReadDir(f.projectsPath())
	if err != nil {
		return fmt.Errorf("saving state in %s: %w", f.projectsPath(), err)
	}
	keep := make(map[string]bool, len(f.saved))
	for id := range f.saved {
		keep[ProjectFileName(id)] = true
	}
	for _, e := range entries {
		name := e.Name()
		if keep[name] || !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
			continue
		}
		if err := os.Remove(filepath.Join(f.projectsPath(), name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("saving state in %s: %w", f.projectsPath(), err)
		}
		f.told(name)
	}
	return nil
}

// samePending reports whether a file holding have holds the events outbox[idx] with their
// receivers.
func samePending(have []pendingKey, outbox []Pending, idx []int) bool {
	if len(have) != len(idx) {
		return false
	}
	for j, i := range idx {
		if have[j].id != outbox[i].Event.ID || !slices.Equal(have[j].sinks, outbox[i].Sinks) {
			return false
		}
	}
	return true
}
