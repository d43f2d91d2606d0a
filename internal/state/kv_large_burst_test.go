package state

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"notifier/internal/diff"
	"notifier/internal/event"
)

// A commit's new events go into the state key with it when they fit; when they do not
// (three events of 40% of max_payload each), they go into chunk keys written first and
// named by the state key. Either way the commit succeeds: a burst never wedges a project.
func TestBurstOfLargeEventsNeverBlocksItsProject(t *testing.T) {
	const maxValue = 1 << 20 // the server's default max_payload
	kv := kvBucket(t)
	s, snap := loadKV(t, kv, KVOptions{Projects: []string{"p1"}, Term: 1, MaxValue: maxValue})
	l, _ := NewLedger(s, snap, []string{"nats"})
	var evs []event.Event
	for i := range 3 {
		noise := make([]byte, maxValue*4/10) // base64: about 40% of max_payload once gzipped
		rand.Read(noise)
		e := projectEvent(fmt.Sprintf("e%d", i), "p1")
		e.Data.Task = []byte(`{"id":"t` + fmt.Sprint(i) + `","status":"FAILED","details":"` + base64.StdEncoding.EncodeToString(noise) + `"}`)
		evs = append(evs, e)
	}
	st := &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{"t0": {Status: "FAILED", Created: 5, Seq: 1}})}
	var errs []error
	for range 3 { // the poll is repeated after a failed commit and finds the same events
		errs = append(errs, l.Commit(t.Context(), "p1", st, evs))
	}
	if last := errs[len(errs)-1]; last != nil {
		t.Errorf("every commit of a burst of three large events fails (max_payload %d): %v", maxValue,
			strings.ReplaceAll(fmt.Sprint(last), "\n", " "))
	}
}
