package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"notifier/internal/silence"
)

// Silences keeps the silences with the state: in the state directory (FileSilences) or in
// keys of their own in the nats-kv bucket (KVSilences). It is apart from Store because a
// silence is written by the API, not by a commit: a silence never waits for, nor blocks,
// a commit.
type Silences interface {
	// Load returns every silence kept, expired ones included.
	Load(ctx context.Context) ([]silence.Silence, error)
	// Put adds s, or replaces the silence with its id.
	Put(ctx context.Context, s silence.Silence) error
	// Delete forgets the silence with id (GC); forgetting one not kept is no error.
	Delete(ctx context.Context, id string) error
}

// SilencesFile is the file of the silences in the state directory.
const SilencesFile = "silences.json"

// silencesDoc is the file's content.
type silencesDoc struct {
	Version  int               `json:"version"`
	Silences []silence.Silence `json:"silences"`
}

// FileSilences keeps the silences in one file of the state directory, replaced
// atomically at every change. Only the process holding the directory's lock writes it.
type FileSilences struct {
	path string
	mu   sync.Mutex
}

// NewFileSilences keeps the silences in dir, the state directory.
func NewFileSilences(dir string) *FileSilences {
	return &FileSilences{path: filepath.Join(dir, SilencesFile)}
}

// Load reads the file; none yet is no silence.
func (f *FileSilences) Load(context.Context) ([]silence.Silence, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.read()
}

func (f *FileSilences) read() ([]silence.Silence, error) {
	b, err := os.ReadFile(f.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("silences: %w", err)
	}
	var d silencesDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("silences: %s: %w", f.path, err)
	}
	return d.Silences, nil
}

// Put adds or replaces s.
func (f *FileSilences) Put(_ context.Context, s silence.Silence) error {
	return f.change(func(all []silence.Silence) []silence.Silence {
		all = slices.DeleteFunc(all, func(o silence.Silence) bool { return o.ID == s.ID })
		return append(all, s)
	})
}

// Delete forgets the silence with id.
func (f *FileSilences) Delete(_ context.Context, id string) error {
	return f.change(func(all []silence.Silence) []silence.Silence {
		return slices.DeleteFunc(all, func(o silence.Silence) bool { return o.ID == id })
	})
}

func (f *FileSilences) change(edit func([]silence.Silence) []silence.Silence) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	all, err := f.read()
	if err != nil {
		return err
	}
	all = edit(all)
	slices.SortFunc(all, func(a, b silence.Silence) int { return strings.Compare(a.ID, b.ID) })
	b, err := json.MarshalIndent(silencesDoc{Version: Version, Silences: all}, "", "  ")
	if err != nil {
		return fmt.Errorf("silences: %w", err)
	}
	return writeAtomic(f.path, append(b, '\n'))
}

// writeAtomic replaces path with b: a temporary file beside it, fsynced, renamed over
// it, and the directory fsynced.
func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".tmp-silences-*")
	if err != nil {
		return fmt.Errorf("silences: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("silences: %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("silences: %s: fsync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("silences: %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("silences: %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("silences: %w", err)
	}
	return nil
}
