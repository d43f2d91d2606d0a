package app

import (
	"context"

	"notifier/internal/state"
	"notifier/internal/status"
)

// mode is how the app keeps its state and decides what it polls, as state.backend says:
// one unit over a local file (fileMode), or one unit per shard whose lease this replica
// holds, over NATS KV (kvMode).
type mode interface {
	// run polls and delivers until ctx is done, and returns once every unit has stopped:
	// drained (up to shutdown.timeout) and saved on a clean stop.
	run(ctx context.Context) error
	// units are the units running now, in shard order, for /readyz.
	units() []*unit
	// status is the leadership of every shard, for /readyz; nil without shards.
	status() []status.ShardStatus
	// close releases what the mode holds, such as the state lock.
	close() error
	// apply makes the units poll projects with the configuration next(their running
	// one), leaving what did not change running (App.Apply).
	apply(ctx context.Context, next func(unitConfig) unitConfig, projects []project) error
}

// fileMode is the single-host backend: one unit for every project, its state in a locked
// directory, opened and loaded by New.
type fileMode struct {
	store *state.File
	unit  *unit
	uc    unitConfig // the unit's configuration, replaced by a reload (App.Apply)
}

func newFileMode(uc unitConfig, path string, projects []project) (*fileMode, error) {
	fs, err := state.OpenFile(path)
	if err != nil {
		return nil, setupErr("state.path: %w", err)
	}
	u, err := uc.newUnit(context.Background(), fs, projects)
	if err != nil {
		fs.Close()
		return nil, setupErr("state.path: %w", err)
	}
	return &fileMode{store: fs, unit: u, uc: uc}, nil
}

// run runs the unit; every stop is a clean one, so the sinks always get their drain.
func (f *fileMode) run(ctx context.Context) error {
	f.unit.run(ctx, context.WithoutCancel(ctx), func() bool { return true })
	return nil
}

// apply applies a reload to the one unit.
func (f *fileMode) apply(_ context.Context, next func(unitConfig) unitConfig, projects []project) error {
	uc := next(f.uc)
	if err := f.unit.apply(uc, projects); err != nil {
		return err
	}
	f.uc = uc
	return nil
}

func (f *fileMode) units() []*unit               { return []*unit{f.unit} }
func (f *fileMode) status() []status.ShardStatus { return nil }
func (f *fileMode) close() error                 { return f.store.Close() }
