package poller

import (
	"context"
	"fmt"
	"testing"
	"time"

	"notifier/internal/dcs"
)

// oddStatuses lists one running task whose status is new at every request (a progress
// or a timestamp in it, or a hostile API).
type oddStatuses struct{ n *int }

func (l oddStatuses) List(context.Context, dcs.Query) (*dcs.Page, error) {
	*l.n++
	s := fmt.Sprintf("RUNNING-%d", *l.n)
	raw := fmt.Sprintf(`{"id":"t1","name":"EXTEND","status":%q}`, s)
	return &dcs.Page{Count: 1, Tasks: []dcs.Task{{ID: "t1", Name: "EXTEND", Status: s, Created: time.Now(), Raw: []byte(raw)}}}, nil
}

// The statuses a poller has logged as "seen for the first time" are kept for ever, one
// map entry each (and one log line each): an API whose status values keep changing makes
// the poller's memory grow without bound, where the state's own table of statuses is
// bounded against exactly that (diff.Tasks' process-wide table).
func TestSeenStatusesAreBounded(t *testing.T) {
	n := 0
	e := newEnv(t, setup{}, func(o *Options) { o.Lister = oddStatuses{&n} })
	for range 1100 {
		if _, err := e.p.Cycle(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	e.p.mu.Lock()
	seen := len(e.p.seenStatuses)
	e.p.mu.Unlock()
	t.Logf("%d polls: %d statuses remembered", n, seen)
	if seen > 1000 {
		t.Errorf("the poller remembers %d distinct statuses after %d polls: unbounded", seen, n)
	}
}
