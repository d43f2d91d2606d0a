// Package state keeps what the notifier must not forget across restarts: the last-seen
// state of every project and the events not yet delivered to every sink.
package state

import (
	"context"
	"errors"

	"notifier/internal/diff"
	"notifier/internal/event"
)

// Version is the snapshot format this build writes and reads.
const Version = 1

// Snapshot is everything that is saved, as one unit.
type Snapshot struct {
	Version  int                           `json:"version"`
	Projects map[string]*diff.ProjectState `json:"projects"`
	Outbox   []Pending                     `json:"outbox"`
}

// Pending is an event and the sinks that have not yet delivered it.
type Pending struct {
	Event event.Event `json:"event"`
	Sinks []string    `json:"sinks"`
}

// Store saves and loads snapshots. Wherever a crash interrupts Save, Load returns a
// consistent snapshot: no project's state is ahead of the events it produced, and no event
// is lost (delivery progress may lag, which repeats deliveries). Both stores save project
// by project (the file store one file per project, nats-kv its keys), so after an
// interrupted Save some projects may be at the new snapshot and others at the previous one.
type Store interface {
	// Load returns the saved snapshot, or an empty one (see Empty) when nothing was saved
	// yet.
	Load(ctx context.Context) (*Snapshot, error)
	Save(ctx context.Context, s *Snapshot) error
	Close() error
}

// Empty returns a snapshot with nothing in it.
func Empty() *Snapshot {
	return &Snapshot{Version: Version, Projects: map[string]*diff.ProjectState{}}
}

// ErrLocked means another process holds the state.
var ErrLocked = errors.New("state is in use by another process")
