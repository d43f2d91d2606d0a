package state

import (
	"bytes"
	"cmp"
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

// Load reads the snapshot. An empty directory is a fresh start; a file that cannot be read
// or parsed is an error naming it, never a silent reset that would announce tasks again.
func (f *File) Load(context.Context) (*Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := os.ReadFile(f.legacyPath())
	switch {
	case err == nil:
		s, err := Decode(b)
		if err != nil {
			return nil, fmt.Errorf("state file %s is unreadable: %w (fix or move it; moving it away makes the next start a fresh baseline)", f.legacyPath(), err)
		}
		f.saved, f.events, f.states, f.full = map[string]*savedProject{}, map[string]savedEvent{}, nil, true
		return s, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("reading state file %s: %w", f.legacyPath(), err)
	}
	s, err := f.readProjects()
	if err != nil {
		return nil, err
	}
	f.full, f.states = false, nil
	return s, nil
}

// loaded is one pending event read from a project file, for the merge by order.
type loaded struct {
	order uint64
	file  string
	p     Pending
}

// readProjects reads every project file and merges the outboxes by order; it records what
// each file holds in f.saved and f.events.
func (f *File) readProjects() (*Snapshot, error) {
	entries, err := os.ReadDir(f.projectsPath())
	if err != nil {
		return nil, fmt.Errorf("reading state directory %s: %w", f.projectsPath(), err)
	}
	s := Empty()
	saved := map[string]*savedProject{}
	events := map[string]savedEvent{}
	var order uint64
	var outbox []loaded
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(f.projectsPath(), name)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading state file %s: %w", path, err)
		}
		pf, err := DecodeProject(b)
		if err != nil {
			return nil, fmt.Errorf("state file %s is unreadable: %w (fix or move it; moving it away makes that project's next poll a fresh baseline and drops its undelivered events)", path, err)
		}
		if want := ProjectFileName(pf.ID); want != name {
			return nil, fmt.Errorf("state file %s holds project %q, whose file is %s (was it renamed?)", path, pf.ID, want)
		}
		sp := &savedProject{st: pf.Project}
		if pf.Project != nil {
			s.Projects[pf.ID] = pf.Project
		}
		for _, o := range pf.Outbox {
			outbox = append(outbox, loaded{order: o.Order, file: name, p: Pending{Event: o.Event, Sinks: o.Sinks}})
			sp.pending = append(sp.pending, pendingKey{id: o.Event.ID, sinks: o.Sinks})
			events[o.Event.ID] = savedEvent{order: o.Order}
			order = max(order, o.Order)
		}
		saved[pf.ID] = sp
	}
	slices.SortStableFunc(outbox, func(a, b loaded) int {
		return cmp.Or(cmp.Compare(a.order, b.order), strings.Compare(a.file, b.file))
	})
	for _, o := range outbox {
		s.Outbox = append(s.Outbox, o.p)
	}
	f.saved, f.events, f.order = saved, events, max(f.order, order)
	return s, nil
}

// Decode parses and checks a snapshot in the single-file format of earlier versions
// (FileName).
func Decode(b []byte) (*Snapshot, error) {
	var s Snapshot
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&s); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the snapshot")
	}
	if s.Version != Version {
		return nil, fmt.Errorf("format version %d, this build reads %d", s.Version, Version)
	}
	if s.Projects == nil {
		s.Projects = map[string]*diff.ProjectState{}
	}
	for id, p := range s.Projects {
		if p == nil || p.Tasks == nil {
			return nil, fmt.Errorf("project %q has no task map", id)
		}
	}
	for i, p := range s.Outbox {
		if p.Event.ID == "" || len(p.Sinks) == 0 {
			return nil, fmt.Errorf("outbox[%d]: event without id or sinks", i)
		}
	}
	return &s, nil
}
