package diff

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"notifier/internal/dcs"
	"notifier/internal/dcssim"
)

// listing returns n finished tasks created within the last lookback, as decoded from a page.
func listing(n int, now time.Time) []dcs.Task {
	out := make([]dcs.Task, n)
	for i := range out {
		id := fmt.Sprintf("%032x", i+1)
		created := now.Add(-time.Duration(i+1) * 500 * time.Millisecond)
		out[i] = dcs.Task{ID: id, Name: "EXTEND", Status: "SUCCESS", Created: created, Updated: created.Add(time.Minute),
			Raw: []byte(`{"id":"` + id + `","name":"EXTEND","status":"SUCCESS"}`)}
	}
	return out
}

func benchUnchanged(b *testing.B, n int) {
	o := opts(t0)
	tasks := listing(n, t0)
	prev := Diff(nil, tasks, o).Next
	b.ReportAllocs()
	for b.Loop() {
		res := Diff(prev, tasks, o)
		if res.Changed || len(res.Events) != 0 {
			b.Fatal("an unchanged poll changed the state")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/task")
}

// BenchmarkDiff1k diffs a 1,000-task poll in which nothing changed.
func BenchmarkDiff1k(b *testing.B) { benchUnchanged(b, 1000) }

// BenchmarkDiff100k diffs a 100,000-task poll in which nothing changed.
func BenchmarkDiff100k(b *testing.B) { benchUnchanged(b, 100_000) }

// BenchmarkDiffBurst10k diffs a poll that finds 10,000 new tasks.
func BenchmarkDiffBurst10k(b *testing.B) {
	o := opts(t0)
	tasks := listing(10_000, t0)
	prev := Diff(nil, nil, o).Next
	b.ReportAllocs()
	for b.Loop() {
		if res := Diff(prev, tasks, o); len(res.Events) != 10_000 {
			b.Fatal(len(res.Events))
		}
	}
}

// BenchmarkStateMemory100k reports the heap held by the state of 100,000 followed tasks
// (the listing's task bodies are dropped, as they are after a poll).
func BenchmarkStateMemory100k(b *testing.B) {
	const n = 100_000
	var held uint64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		st := Diff(nil, decodedCopy(listing(n, t0)), opts(t0)).Next
		runtime.GC()
		runtime.ReadMemStats(&after)
		held = after.HeapAlloc - before.HeapAlloc
		runtime.KeepAlive(st)
		if st.Tasks.Len() != n {
			b.Fatal(st.Tasks.Len())
		}
	}
	b.ReportMetric(float64(held)/(1<<20), "MB")
	b.ReportMetric(float64(held)/n, "B/task")
}

// decodedCopy gives every task its own id and status strings, as the decoder does, so that
// what the state keeps alive is measured honestly.
func decodedCopy(ts []dcs.Task) []dcs.Task {
	for i := range ts {
		ts[i].ID = string([]byte(ts[i].ID))
		ts[i].Status = string([]byte(ts[i].Status))
	}
	return ts
}

// BenchmarkStateMemoryFleet reports the heap held by the states of a 1,000-project fleet
// of 300 tasks each, built as the poller builds them: each project's page, as the API
// writes it (UUID ids, mostly SUCCESS with some FAILED, the usual names), decoded by
// dcs.Decode and diffed from no state; the pages are dropped. B/task counts everything the
// states hold (the tasks, the learned durations, each state's own allocations).
func BenchmarkStateMemoryFleet(b *testing.B) {
	const projects, n = 1000, 300
	now := t0
	bodies := make([][]byte, projects)
	for p := range bodies {
		tasks := dcssim.SeedHistory(fmt.Sprintf("%032x", p+1), n, now.Add(-23*time.Hour), now.Add(-time.Minute))
		r := rand.New(rand.NewPCG(uint64(p), 7))
		for i := range tasks {
			h := fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64())
			tasks[i].ID = h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
			if r.IntN(20) == 0 {
				tasks[i].Status = "FAILED"
			}
		}
		body, err := json.Marshal(struct {
			TaskCount int           `json:"task_count"`
			Tasks     []dcssim.Task `json:"tasks"`
		}{len(tasks), tasks})
		if err != nil {
			b.Fatal(err)
		}
		bodies[p] = body
	}
	var held uint64
	for b.Loop() {
		states := make([]*ProjectState, projects)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for p := range states {
			pg, err := dcs.Decode(bodies[p])
			if err != nil {
				b.Fatal(err)
			}
			states[p] = Diff(nil, pg.Tasks, opts(now)).Next
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		held = after.HeapAlloc - before.HeapAlloc
		for _, st := range states {
			if st.Tasks.Len() != n {
				b.Fatal(st.Tasks.Len())
			}
		}
		runtime.KeepAlive(states)
	}
	b.ReportMetric(float64(held)/(1<<20), "MB")
	b.ReportMetric(float64(held)/(projects*n), "B/task")
}
