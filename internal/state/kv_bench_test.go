package state

import (
	"fmt"
	"testing"
	"time"

	"notifier/internal/diff"
	"notifier/internal/event"
)

// BenchmarkKVBurst commits a burst of 1,000 events in nats-kv mode and delivers it to two
// receivers (each event: one write in the inbox, its own key, an update, a delete).
func BenchmarkKVBurst(b *testing.B) {
	kv := kvBucket(b)
	const project = "0123456789abcdef0123456789abcdef"
	s, snap := loadKV(b, kv, KVOptions{Projects: []string{project}, Term: 1, MaxValue: 1 << 20})
	l, _ := NewLedger(s, snap, []string{"nats", "slack"})
	st := &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{})}
	now := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		evs := make([]event.Event, 1000)
		ids := make([]string, len(evs))
		for j := range evs {
			evs[j] = realEvent(project, now)
			evs[j].ID = fmt.Sprintf("%08d%08d", i, j)
			ids[j] = evs[j].ID
		}
		if err := l.Commit(b.Context(), project, st, evs); err != nil {
			b.Fatal(err)
		}
		for _, sink := range []string{"nats", "slack"} {
			if err := l.Done(b.Context(), sink, ids); err != nil {
				b.Fatal(err)
			}
		}
	}
}
