package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	for _, pattern := range []string{FileName + ".tmp-*", ".probe-*", ".tmp-silences-*", filepath.Join(ProjectsDir, ".tmp-*")} {
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

// Close releases the lock.
func (f *File) Close() error {
	return f.lock.Close()
}
