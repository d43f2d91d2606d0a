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
	"sync"
	"syscall"

	"notifier/internal/diff"
)

// FileName is the single snapshot file that earlier versions kept in the state directory.
// Load still reads it (and the next Save replaces it by project files, see File).
const FileName = "state.json"

// ProjectsDir is the directory, inside the state directory, of the project files.
const ProjectsDir = "projects"

// File keeps the snapshot in a directory, one JSON file per project under ProjectsDir
// (named by ProjectFileName), holding that project's state and its pending events, each
// with its place in the order of the whole outbox. A save writes only the files of the
// projects whose state or pending events changed since the last save: each file is
// replaced atomically (temporary file, fsync, rename), and the directory is fsynced once
// per save. A lock file keeps a second process out.
//
// Crash consistency (the Store contract): a project's state and the events it produced
// live in the same file, and a file is always either the one of the previous save or the
// one of the new save (rename is atomic; its content is fsynced before the rename; a
// rename not yet made durable by the directory's fsync is either there or not). So after
// a crash in the middle of a save that touched several files, each project is at the new
// snapshot or the previous one, never with its state ahead of its events: a project at the
// previous snapshot polls again and finds the same transitions; a project whose pending
// events are the previous ones delivers again the events the new save had marked done
// (delivery progress lags, never a loss). Events that are only in the new save were
// committed together with their project's new state, in the same file. The order numbers
// only grow, so Load merges the outbox in commit order whichever mix of files it finds.
//
// A state directory written by earlier versions holds one FileName: while it exists it is
// authoritative (project files next to it are from an interrupted migration). The first
// Save after loading it writes every project file, removes any other, fsyncs the
// directory, and only then removes FileName (and fsyncs the state directory): a crash
// before that last step loads FileName again, a crash after it loads complete project
// files.
type File struct {
	dir  string
	lock *os.File

	mu sync.Mutex
	// saved is, per project with a file, what that file holds: the state (by pointer: the
	// ledger replaces a project's state at every change, never modifies it) and the ids
	// and receivers of its pending events. A few words per project; no encodings.
	saved map[string]*savedProject
	// events is, per pending event id, its order and its encoding once made: an event
	// never changes, so while a burst drains each save of its project only joins bytes.
	events map[string]savedEvent
	order  uint64 // the highest order given or read
	// states is the encoding of the state of projects written with pending events, up to
	// maxCachedStates bytes in all: while their events drain, each delivery rewrites the
	// file with the same state, which is then joined instead of encoded again. Only such
	// projects, not every project (1,000 projects' encodings were 24 MB).
	states map[string]cachedState
	// full means the files may not be what saved says (nothing loaded yet, or FileName was
	// loaded): the next Save writes every project, removes every other file, then FileName.
	full bool
	// wrote, when set (tests), is told each project file written or removed; failWrite,
	// when set (tests), can fail the write of a project file.
	wrote     func(name string)
	failWrite func(name string) error
}

type savedProject struct {
	st      *diff.ProjectState
	pending []pendingKey
	stale   bool // a failed save may have left the file otherwise: write it again
}

type pendingKey struct {
	id    string
	sinks []string
}

type cachedState struct {
	st  *diff.ProjectState
	enc []byte
}

// maxCachedStates bounds File.states, in bytes.
const maxCachedStates = 8 << 20

type savedEvent struct {
	order uint64
	enc   []byte
}

// OpenFile creates the directory if needed and takes its lock.
func OpenFile(dir string) (*File, error) {
	if err := os.MkdirAll(filepath.Join(dir, ProjectsDir), 0o700); err != nil {
		return nil, fmt.Errorf("state directory %s: %w", dir, err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state directory %s: %w", dir, err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("state directory %s: %w", dir, ErrLocked)
		}
		return nil, fmt.Errorf("state directory %s: lock: %w", dir, err)
	}
	// Temporary files of a save interrupted by a crash are ours (we hold the lock) and
	// would pile up with every crash.
	for _, pattern := range []string{FileName + ".tmp-*", ".probe-*", filepath.Join(ProjectsDir, ".tmp-*")} {
		left, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, name := range left {
			os.Remove(name)
		}
	}
	// Fail at start, not at the first save, when the directory cannot be written.
	for _, d := range []string{dir, filepath.Join(dir, ProjectsDir)} {
		probe, err := os.CreateTemp(d, ".probe-*")
		if err != nil {
			lock.Close()
			return nil, fmt.Errorf("state directory %s is not writable: %w", d, err)
		}
		probe.Close()
		os.Remove(probe.Name())
	}
	return &File{dir: dir, lock: lock, saved: map[string]*savedProject{}, events: map[string]savedEvent{}, full: true}, nil
}

// ReadDir reads the snapshot in a state directory as Load would, without taking its lock
// (for tests and tools looking at the state of a running notifier: each file is read as
// it is at that instant).
func ReadDir(dir string) (*Snapshot, error) {
	f := &File{dir: dir, saved: map[string]*savedProject{}, events: map[string]savedEvent{}}
	return f.Load(context.Background())
}

// Path is the state directory.
func (f *File) Path() string { return f.dir }

func (f *File) legacyPath() string   { return filepath.Join(f.dir, FileName) }
func (f *File) projectsPath() string { return filepath.Join(f.dir, ProjectsDir) }

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

func (f *File) told(name string) {
	if f.wrote != nil {
		f.wrote(name)
	}
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

// replace writes a project file atomically: a temporary file, fsynced, renamed over it.
// The directory is fsynced by the caller, once for the whole save.
func (f *File) replace(name string, b []byte) error {
	dir := f.projectsPath()
	if f.failWrite != nil {
		if err := f.failWrite(name); err != nil {
			return fmt.Errorf("saving state in %s: %w", dir, err)
		}
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("saving state in %s: %w", dir, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("saving state in %s: %w", dir, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("saving state in %s: fsync: %w", dir, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving state in %s: %w", dir, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("saving state in %s: %w", dir, err)
	}
	f.told(name)
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("saving state in %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("saving state in %s: fsync directory: %w", dir, err)
	}
	return nil
}

// Close releases the lock.
func (f *File) Close() error {
	return f.lock.Close()
}
