//go:build soak

package soak

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	mrand "math/rand/v2"
	"sync"
	"time"

	"notifier/internal/dcssim"
)

// paths are the status sequences a task goes through; the last status is terminal.
// No status repeats within a path, so (task, previous, status) names one transition.
var paths = [][]string{
	{"RUNNING", "SUCCESS"},
	{"RUNNING", "FAILED"},
	{"CREATED", "RUNNING", "SUCCESS"},
	{"INIT", "RUNNING", "FAIL"},
	{"WAITING", "EXECUTING", "RUNNING", "SUCCESS"},
	{"RUNNING", "ROLLING_BACK", "CANCELLED"},
}

var taskNames = []string{"EXTEND", "masterStandbySwapJob", "BindEip", "UnBindEip", "AddReplica", "modify", "UpdatePort"}

// taskRun is the truth about one task: every status it was given, in order.
type taskRun struct {
	project, id string
	statuses    []string
}

// world plays tasks into the simulator. Every status is held for at least minHold, which
// is longer than the notifier can be blind (a SIGKILL and restart, or a fault and its
// capped backoff), so every transition must be seen: none may be legitimately skipped.
type world struct {
	sim      *dcssim.Sim
	projects []string
	minHold  time.Duration
	maxHold  time.Duration

	mu    sync.Mutex
	tasks []*taskRun
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// run starts tasks at rate per second until ctx ends or stopStarting passes, and returns
// once every started task reached its terminal status.
func (w *world) run(ctx context.Context, rate float64, stopStarting time.Time) {
	var wg sync.WaitGroup
	gap := time.Duration(float64(time.Second) / rate)
	tick := time.NewTicker(gap)
	defer tick.Stop()
	for time.Now().Before(stopStarting) {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-tick.C:
		}
		tr := &taskRun{project: w.projects[mrand.IntN(len(w.projects))], id: newID()}
		path := paths[mrand.IntN(len(paths))]
		w.mu.Lock()
		w.tasks = append(w.tasks, tr)
		w.mu.Unlock()
		wg.Go(func() { w.play(ctx, tr, path) })
	}
	wg.Wait()
}

// play puts the task with its first status, then moves it along path.
func (w *world) play(ctx context.Context, tr *taskRun, path []string) {
	name := taskNames[mrand.IntN(len(taskNames))]
	w.record(tr, path[0])
	w.sim.Put(tr.project, dcssim.Task{ID: tr.id, Name: name, Status: path[0], CreatedAt: time.Now().UTC(),
		JobID: newID(), UserName: "soak", UserID: "soak-user", EnableShow: true,
		Details: map[string]any{"old_capacity": 0.125, "new_capacity": 0.25}})
	for _, st := range path[1:] {
		hold := w.minHold + mrand.N(w.maxHold-w.minHold)
		t := time.NewTimer(hold)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		w.record(tr, st)
		_ = w.sim.SetStatus(tr.project, tr.id, st)
	}
}

func (w *world) record(tr *taskRun, status string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	tr.statuses = append(tr.statuses, status)
}

// expected returns every transition that happened, keyed "project/task:previous>status".
func (w *world) expected() map[string]bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]bool{}
	for _, tr := range w.tasks {
		prev := ""
		for _, st := range tr.statuses {
			out[tr.project+"/"+tr.id+":"+prev+">"+st] = true
			prev = st
		}
	}
	return out
}

func (w *world) taskCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.tasks)
}
