package state

import (
	"fmt"
	"testing"
	"time"

	"notifier/internal/diff"
	"notifier/internal/event"
)

// burst returns n events as a poll finding n new tasks produces them, with a task body of
// the API's size, and the project state that goes with them.
func burst(n int) (*diff.ProjectState, []event.Event) {
	tasks := make(map[string]diff.TaskState, n)
	evs := make([]event.Event, n)
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	for i := range evs {
		id := fmt.Sprintf("%032x", i+1)
		raw := fmt.Sprintf(`{"id":"%s","name":"EXTEND","job_id":"%s","user_name":"ops_lin_07","user_id":"bb259bd2b8b644a1b4a573a20318af51",`+
			`"details":{"old_capacity":0.5,"new_capacity":1,"old_cache_mode":"ha","new_cache_mode":"ha","is_only_adjust_charging":false},`+
			`"status":"RUNNING","created_at":"2026-11-27T02:59:58.123Z","updated_at":"","error_code":"","enable_show":true}`, id, id)
		evs[i] = event.New(event.Transition{ProjectID: "p", Region: "cn-north-4", TaskID: id, TaskName: "EXTEND",
			Status: "RUNNING", Created: true, Seq: 1, Task: []byte(raw), DetectedAt: now})
		tasks[id] = diff.TaskState{Status: "RUNNING", Created: now.UnixMilli(), Seq: 1}
	}
	return &diff.ProjectState{Tasks: diff.TasksOf(tasks)}, evs
}

func fileLedger(b *testing.B, sinks ...string) *Ledger {
	b.Helper()
	f, err := OpenFile(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	l, _ := NewLedger(f, Empty(), sinks)
	return l
}

// BenchmarkCommitBurst10k commits one poll's 10,000 events to a file store (with fsync).
func BenchmarkCommitBurst10k(b *testing.B) {
	st, evs := burst(10_000)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		l := fileLedger(b, "nats")
		b.StartTimer()
		if err := l.Commit(b.Context(), "p", st, evs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDrain10k records the delivery of 10,000 committed events to one sink in the
// Dispatcher's batches (Pending + Done, with every save), as a burst drains.
func BenchmarkDrain10k(b *testing.B) {
	st, evs := burst(10_000)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		l := fileLedger(b, "nats")
		if err := l.Commit(b.Context(), "p", st, evs); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for {
			batch := l.Pending("nats", 500)
			if len(batch) == 0 {
				break
			}
			ids := make([]string, len(batch))
			for i := range batch {
				ids[i] = batch[i].ID
			}
			if err := l.Done(b.Context(), "nats", ids); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkCommit100k is a poll that changes one task of a project following 100,000:
// the project's whole state is encoded and saved.
func BenchmarkCommit100k(b *testing.B) {
	st, _ := burst(100_000)
	l := fileLedger(b, "nats")
	b.ReportAllocs()
	for b.Loop() {
		next := &diff.ProjectState{Horizon: st.Horizon, Tasks: st.Tasks} // a new state, as the diff makes
		if err := l.Commit(b.Context(), "p", next, nil); err != nil {
			b.Fatal(err)
		}
	}
}
