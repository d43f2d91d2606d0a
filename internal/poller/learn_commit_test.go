package poller

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"notifier/internal/dcssim"
	"notifier/internal/diff"
	"notifier/internal/event"
)

// failingLedger fails the next fail commits, as a full disk or a fenced nats-kv write does.
type failingLedger struct {
	Ledger
	fail int
}

func (f *failingLedger) Commit(ctx context.Context, projectID string, next *diff.ProjectState, evs []event.Event) error {
	if f.fail > 0 {
		f.fail--
		return errors.New("disk full")
	}
	return f.Ledger.Commit(ctx, projectID, next, evs)
}

// Task durations (poll.fast_interval, stuck thresholds) are learned by the diff and kept
// in the committed state, each finished task once: a failed commit leaves the state
// unchanged, so the next poll sees the same tasks finish again and learns them once. Finished
// tasks the state does not keep (older than the lookback, listed again at every poll
// while a running task holds the window back) are not learned at every poll either.
func TestTaskDurationsAreLearnedOnceEvenWhenACommitFails(t *testing.T) {
	tests := []struct {
		name  string
		fails int // commits that fail before one succeeds
	}{
		{"every commit succeeds", 0},
		{"one commit fails", 1},
		{"three commits fail", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
			var fl *failingLedger
			e := newEnv(t, setup{}, func(o *Options) {
				o.FastInterval = time.Second
				o.Now = func() time.Time { return now }
				fl = &failingLedger{Ledger: o.Ledger}
				o.Ledger = fl
			})
			// A task running for three days holds the window back past finished tasks older
			// than the lookback.
			e.put("long", "EXTEND", "RUNNING", now.Add(-72*time.Hour))
			for i := range 5 {
				c := now.Add(-48*time.Hour - time.Duration(i)*time.Minute)
				e.sim.Put(project, dcssim.Task{ID: fmt.Sprintf("old%d", i), Name: "EXTEND", Status: "SUCCESS", CreatedAt: c, UpdatedAt: c.Add(time.Minute)})
			}
			e.cycle(t) // baseline
			now = now.Add(time.Minute)
			for i := range 3 {
				c := now.Add(-time.Duration(i+1) * time.Minute)
				e.sim.Put(project, dcssim.Task{ID: fmt.Sprintf("new%d", i), Name: "EXTEND", Status: "SUCCESS", CreatedAt: c, UpdatedAt: c.Add(10 * time.Second)})
			}
			fl.fail = tt.fails
			for range tt.fails {
				if _, err := e.p.Cycle(t.Context()); err == nil {
					t.Fatal("the commit did not fail")
				}
			}
			for range 3 { // then polls that commit
				e.cycle(t)
				now = now.Add(time.Minute)
			}
			if n := len(e.ledger.Project(project).Durations["EXTEND"]); n != 3 {
				t.Errorf("learned %d durations of EXTEND, want 3 (each finished task once)", n)
			}
		})
	}
}
