package state

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"notifier/internal/diff"
	"notifier/internal/event"
)

// BenchmarkCommitFleet is one change in a fleet: the store holds 1,000 projects of 300
// followed tasks each, and one project commits a changed task and its event, which a
// receiver then reports delivered (Done). It reports the process CPU per commit+Done.
func BenchmarkCommitFleet(b *testing.B) {
	const projects, tasks = 1000, 300
	f, err := OpenFile(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	snap := Empty()
	created := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC).UnixMilli()
	for p := range projects {
		m := make(map[string]diff.TaskState, tasks)
		for t := range tasks {
			m[fmt.Sprintf("%032x", p*tasks+t+1)] = diff.TaskState{Status: "SUCCESS", Created: created, Seq: 2}
		}
		snap.Projects[fmt.Sprintf("%032x", p+1)] = &diff.ProjectState{Horizon: created, Tasks: diff.TasksOf(m)}
	}
	if err := f.Save(b.Context(), snap); err != nil {
		b.Fatal(err)
	}
	l, _ := NewLedger(f, snap, []string{"nats"})
	b.ReportAllocs()
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	i := 0
	for b.Loop() {
		id := fmt.Sprintf("%032x", i%projects+1)
		cur := l.Project(id)
		next := &diff.ProjectState{Horizon: cur.Horizon, Tasks: cur.Tasks} // a new state, as the diff makes
		e := event.New(event.Transition{ProjectID: id, Region: "cn-north-4", TaskID: fmt.Sprintf("%032x", i+1), TaskName: "EXTEND",
			Status: "RUNNING", Seq: 3, Task: []byte(`{"id":"x","status":"RUNNING"}`), DetectedAt: time.Unix(int64(i), 0)})
		if err := l.Commit(b.Context(), id, next, []event.Event{e}); err != nil {
			b.Fatal(err)
		}
		if err := l.Done(b.Context(), "nats", []string{e.ID}); err != nil {
			b.Fatal(err)
		}
		i++
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkDoneAcross500 is a receiver's batch of 500 events of 500 projects reported
// delivered in one Done (as a backlog drains after an outage): 500 files in one save.
func BenchmarkDoneAcross500(b *testing.B) {
	const projects = 500
	f, err := OpenFile(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	l, _ := NewLedger(f, Empty(), []string{"nats"})
	for p := range projects {
		if err := l.Commit(b.Context(), fmt.Sprintf("%032x", p+1), tasksOf(300), nil); err != nil {
			b.Fatal(err)
		}
	}
	i := 0
	for b.Loop() {
		b.StopTimer()
		var ids []string
		for p := range projects {
			id := fmt.Sprintf("%032x", p+1)
			i++
			e := event.New(event.Transition{ProjectID: id, Region: "cn-north-4", TaskID: fmt.Sprintf("%032x", i), TaskName: "EXTEND",
				Status: "RUNNING", Seq: 3, Task: []byte(`{"id":"x","status":"RUNNING"}`), DetectedAt: time.Unix(int64(i), 0)})
			if err := l.Commit(b.Context(), id, l.Project(id), []event.Event{e}); err != nil {
				b.Fatal(err)
			}
			ids = append(ids, e.ID)
		}
		b.StartTimer()
		if err := l.Done(b.Context(), "nats", ids); err != nil {
			b.Fatal(err)
		}
	}
}

func tasksOf(n int) *diff.ProjectState {
	created := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC).UnixMilli()
	m := make(map[string]diff.TaskState, n)
	for t := range n {
		m[fmt.Sprintf("%032x", t+1)] = diff.TaskState{Status: "SUCCESS", Created: created, Seq: 2}
	}
	return &diff.ProjectState{Horizon: created, Tasks: diff.TasksOf(m)}
}
