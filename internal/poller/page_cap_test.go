package poller

import (
	"context"
	"fmt"
	"testing"
	"time"

	"notifier/internal/dcs"
	"notifier/internal/dcssim"
)

// A gateway may serve fewer tasks than the limit asked for. A page shorter than page_size
// whose task_count says more tasks follow is a short page, not the end: every task of the
// window is read. task_count never ends paging before a short page (a full page is
// followed by another request, as before), and one that claims more than the server has
// costs one empty page, never a loop.
func TestPagesShorterThanAskedAreNotTheEndWhenTaskCountSaysMore(t *testing.T) {
	tests := []struct {
		name     string
		cap      int // the gateway's page cap; 0: none
		tasks    int
		overshot int // added to task_count: a count that claims more than there is
		requests int
	}{
		{name: "no cap", tasks: 250, requests: 1},
		{name: "capped at 100", cap: 100, tasks: 250, requests: 3},
		{name: "capped at 100, a multiple of it", cap: 100, tasks: 300, requests: 3},
		{name: "capped at 1", cap: 1, tasks: 3, requests: 3},
		{name: "task_count too high", tasks: 5, overshot: 100, requests: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Now()
			e := newEnv(t, setup{sim: dcssim.Options{PageCap: tt.cap}}, func(o *Options) {
				o.Terminal = map[string]bool{"SUCCESS": true}
				o.Lister = overcount{o.Lister, tt.overshot}
			})
			var ts []dcssim.Task
			for i := range tt.tasks {
				ts = append(ts, dcssim.Task{ID: fmt.Sprintf("t%03d", i), Name: "EXTEND", Status: "SUCCESS", CreatedAt: now.Add(-time.Duration(i) * time.Second)})
			}
			e.sim.PutAll(project, ts)
			if _, err := e.p.Cycle(t.Context()); err != nil {
				t.Fatal(err)
			}
			if got := e.ledger.Project(project).Tasks.Len(); got != tt.tasks {
				t.Errorf("the poll read %d of the %d tasks", got, tt.tasks)
			}
			if got := e.sim.Requests(project); got != tt.requests {
				t.Errorf("%d requests, want %d", got, tt.requests)
			}
		})
	}
}

// overcount adds n to every page's task_count.
type overcount struct {
	dcs.Lister
	n int
}

func (o overcount) List(ctx context.Context, q dcs.Query) (*dcs.Page, error) {
	pg, err := o.Lister.List(ctx, q)
	if err == nil {
		pg.Count += o.n
	}
	return pg, err
}
