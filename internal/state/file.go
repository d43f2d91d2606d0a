package state

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"

	"notifier/internal/diff"
)

// FileName is the snapshot's name inside the state directory.
const FileName = "state.json"

// File keeps the snapshot in one JSON file in a directory, replaced atomically (temporary
// file, fsync, rename, fsync of the directory). A lock file keeps a second process out.
type File struct {
	dir  string
	lock *os.File

	// The encodings of the last save, reused by the next: an event never changes and a
	// project's state is replaced, never modified, so while a burst drains each save only
	// joins bytes it already has instead of encoding every pending event again.
	mu       sync.Mutex
	projects map[string]encodedProject
	events   map[string][]byte // by event id
	size     int               // of the last encoding: the next one is about as large
}

type encodedProject struct {
	p *diff.ProjectState
	b []byte
}

// OpenFile creates the directory if needed and takes its lock.
func OpenFile(dir string) (*File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
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
	for _, pattern := range []string{FileName + ".tmp-*", ".probe-*"} {
		left, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, name := range left {
			os.Remove(name)
		}
	}
	// Fail at start, not at the first save, when the directory cannot be written.
	probe, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("state directory %s is not writable: %w", dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	return &File{dir: dir, lock: lock}, nil
}

// Path is the snapshot file's path.
func (f *File) Path() string { return filepath.Join(f.dir, FileName) }

// Load reads the snapshot. A missing file is a fresh start; a file that cannot be read or
// parsed is an error, never a silent reset that would announce every task again.
func (f *File) Load(context.Context) (*Snapshot, error) {
	b, err := os.ReadFile(f.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return Empty(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading state file %s: %w", f.Path(), err)
	}
	s, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("state file %s is unreadable: %w (fix or move it; moving it away makes the next start a fresh baseline)", f.Path(), err)
	}
	return s, nil
}

// Decode parses and checks a snapshot.
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

// Save writes the snapshot atomically. The bytes are those of json.Marshal(s).
func (f *File) Save(_ context.Context, s *Snapshot) error {
	b, err := f.encode(s)
	if err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	tmp, err := os.CreateTemp(f.dir, FileName+".tmp-*")
	if err != nil {
		return fmt.Errorf("saving state in %s: %w", f.dir, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("saving state in %s: %w", f.dir, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("saving state in %s: fsync: %w", f.dir, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving state in %s: %w", f.dir, err)
	}
	if err := os.Rename(tmp.Name(), f.Path()); err != nil {
		return fmt.Errorf("saving state in %s: %w", f.dir, err)
	}
	return syncDir(f.dir)
}

// encode is json.Marshal(s), reusing the encodings of unchanged projects and events.
func (f *File) encode(s *Snapshot) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	buf := bytes.NewBuffer(make([]byte, 0, f.size+f.size/8+4096))
	fmt.Fprintf(buf, `{"version":%d,"projects":`, s.Version)
	projects := make(map[string]encodedProject, len(s.Projects))
	if s.Projects == nil {
		buf.WriteString("null")
	} else {
		buf.WriteByte('{')
		for i, id := range slices.Sorted(maps.Keys(s.Projects)) {
			p := s.Projects[id]
			e, ok := f.projects[id]
			if !ok || e.p != p || p == nil {
				b, err := json.Marshal(p)
				if err != nil {
					return nil, err
				}
				e = encodedProject{p: p, b: b}
			}
			projects[id] = e
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSON(buf, id)
			buf.WriteByte(':')
			buf.Write(e.b)
		}
		buf.WriteByte('}')
	}
	buf.WriteString(`,"outbox":`)
	events := make(map[string][]byte, len(s.Outbox))
	if s.Outbox == nil {
		buf.WriteString("null")
	} else {
		buf.WriteByte('[')
		for i := range s.Outbox {
			p := &s.Outbox[i]
			b, ok := f.events[p.Event.ID]
			if !ok {
				var err error
				if b, err = json.Marshal(&p.Event); err != nil {
					return nil, err
				}
			}
			events[p.Event.ID] = b
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(`{"event":`)
			buf.Write(b)
			buf.WriteString(`,"sinks":`)
			if p.Sinks == nil {
				buf.WriteString("null")
			} else {
				buf.WriteByte('[')
				for j, sink := range p.Sinks {
					if j > 0 {
						buf.WriteByte(',')
					}
					writeJSON(buf, sink)
				}
				buf.WriteByte(']')
			}
			buf.WriteByte('}')
		}
		buf.WriteByte(']')
	}
	buf.WriteByte('}')
	f.projects, f.events, f.size = projects, events, buf.Len()
	return buf.Bytes(), nil
}

func writeJSON(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s) // a string always encodes
	buf.Write(b)
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
