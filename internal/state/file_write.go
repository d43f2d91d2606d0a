package state

import (
	"fmt"
	"os"
	"path/filepath"
)

// told passes the name of a file written or removed to the tests' hook, f.wrote.
func (f *File) told(name string) {
	if f.wrote != nil {
		f.wrote(name)
	}
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

// syncDir fsyncs a directory, which makes the renames and removals in it durable.
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
