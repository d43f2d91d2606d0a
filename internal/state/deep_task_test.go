package state

import (
	"context"
	"strings"
	"testing"
	"time"

	"notifier/internal/dcs"
	"notifier/internal/diff"
	"notifier/internal/event"
)

// TestDeepTaskSurvivesStateRoundTrip: every task the decoder keeps must survive the trip
// into the outbox and back. The state file nests a task's JSON deeper than the response
// did (snapshot, outbox, pending, event, data, task), so a task near encoding/json's
// 10,000-level limit could be saved but not loaded again: the next start would fail. The
// decoder skips tasks nested deeper than maxTaskDepth.
func TestDeepTaskSurvivesStateRoundTrip(t *testing.T) {
	for _, depth := range []int{100, 9995} {
		body := `{"tasks":[{"id":"deep","name":"EXTEND","status":"RUNNING","details":` +
			strings.Repeat(`{"d":`, depth) + `[]` + strings.Repeat(`}`, depth) + `}]}`
		p, err := dcs.Decode([]byte(body))
		if err != nil || len(p.Tasks) == 0 {
			continue // refused or skipped: a defined behaviour
		}
		task := p.Tasks[0]
		dir := t.TempDir()
		fs, err := OpenFile(dir)
		if err != nil {
			t.Fatal(err)
		}
		l, _ := NewLedger(fs, Empty(), []string{"nats"})
		e := event.New(event.Transition{ProjectID: "p", TaskID: task.ID, TaskName: task.Name, Status: task.Status,
			Created: true, Seq: 1, Task: task.Raw, DetectedAt: time.Now()})
		next := &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{task.ID: {Status: task.Status, Seq: 1}})}
		if err := l.Commit(context.Background(), "p", next, []event.Event{e}); err != nil {
			fs.Close()
			continue // not committed: the poll fails and is retried, nothing else breaks
		}
		fs.Close()
		fs, err = OpenFile(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fs.Load(context.Background()); err != nil {
			t.Errorf("depth %d: the task was committed but the state no longer loads: %.200v", depth, err)
		}
		fs.Close()
	}
}
