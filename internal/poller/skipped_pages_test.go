package poller

import (
	"context"
	"testing"
	"time"

	"notifier/internal/dcs"
)

// pagedLister serves a fixed list of entries page by page; an entry with an empty id is
// one the decoder skips (not an object, or no id).
type pagedLister struct{ entries []dcs.Task }

func (l *pagedLister) List(_ context.Context, q dcs.Query) (*dcs.Page, error) {
	p := &dcs.Page{Count: len(l.entries)}
	end := min(q.Offset+q.Limit, len(l.entries))
	for i := q.Offset; i < end; i++ {
		if l.entries[i].ID == "" {
			p.Skipped++
			continue
		}
		p.Tasks = append(p.Tasks, l.entries[i])
	}
	return p, nil
}

// Two consecutive full pages made only of skipped entries have the same (empty) set of
// ids, yet fetch does not take the second for "the server ignores offset": the poll
// succeeds and reads the tasks after them.
func TestPagesOfOnlySkippedEntriesDoNotFailThePoll(t *testing.T) {
	now := time.Now()
	var entries []dcs.Task
	entries = append(entries, dcs.Task{ID: "t1", Name: "restart", Status: "SUCCESS", Created: now.Add(-time.Minute)})
	for range 5 { // page 1 ends and pages 2 and 3 are all skipped entries
		entries = append(entries, dcs.Task{})
	}
	entries = append(entries, dcs.Task{ID: "t2", Name: "masterStandbySwapJob", Status: "FAILED", Created: now.Add(-2 * time.Minute)})
	e := newEnv(t, setup{}, func(o *Options) {
		o.Notify, o.PageSize, o.Lister = true, 2, &pagedLister{entries: entries}
	})
	res, err := e.p.Cycle(t.Context())
	if err != nil {
		t.Fatalf("poll failed: %v", err)
	}
	if len(res.Events) != 2 {
		t.Errorf("got %d events, want 2 (t1 and t2)", len(res.Events))
	}
}
