package poller

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"notifier/internal/dcs"
	"notifier/internal/diff"
	"notifier/internal/metrics"
	"notifier/internal/state"
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
// ids, so fetch takes the second for "the server ignores offset" and fails the poll — on
// every poll, for good: the tasks after them are never read and the project stops
// producing events.
func TestReviewTwoPagesOfSkippedEntriesFailEveryPoll(t *testing.T) {
	now := time.Now()
	var entries []dcs.Task
	entries = append(entries, dcs.Task{ID: "t1", Name: "restart", Status: "SUCCESS", Created: now.Add(-time.Minute)})
	for range 5 { // page 1 ends and pages 2 and 3 are all skipped entries
		entries = append(entries, dcs.Task{})
	}
	entries = append(entries, dcs.Task{ID: "t2", Name: "masterStandbySwapJob", Status: "FAILED", Created: now.Add(-2 * time.Minute)})
	fs, err := state.OpenFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	ledger, _ := state.NewLedger(fs, state.Empty(), []string{"test"})
	p := mustNew(t, Options{Policy: diff.Policy{ProjectID: project, Region: "cn-north-4", Lookback: 24 * time.Hour,
		Margin: 10 * time.Minute, Terminal: map[string]bool{"SUCCESS": true, "FAILED": true}, Notify: true}, PageSize: 2,
		Lister: &pagedLister{entries: entries}, Ledger: ledger, Metrics: metrics.New(prometheus.NewRegistry(), "test")})
	res, err := p.Cycle(t.Context())
	if err != nil {
		t.Fatalf("poll failed: %v", err)
	}
	if len(res.Events) != 2 {
		t.Errorf("got %d events, want 2 (t1 and t2)", len(res.Events))
	}
}
