package poller

import (
	"strings"
	"testing"
	"time"
)

// A task still running poll.max_follow after its creation is dropped with a warning that
// names it, and stops making the project active (polls go back to the regular interval).
// Options.MaxFollow 0 means DefaultMaxFollow (7 days).
func TestTaskRunningLongerThanMaxFollowIsDroppedWithAWarning(t *testing.T) {
	for _, tt := range []struct {
		name      string
		maxFollow time.Duration
		want      time.Duration // the effective max_follow
	}{
		{"configured", 48 * time.Hour, 48 * time.Hour},
		{"default", 0, DefaultMaxFollow},
	} {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
			e := newEnv(t, setup{}, func(o *Options) {
				o.MaxFollow = tt.maxFollow
				o.Now = func() time.Time { return now }
			})
			logs := e.logs
			e.put("stuck", "EXTEND", "RUNNING", now.Add(-time.Hour))
			e.cycle(t) // baseline: follows it
			now = now.Add(tt.want - 2*time.Hour)
			if res, _ := e.p.Cycle(t.Context()); len(res.Abandoned) != 0 || strings.Contains(logs.String(), "max_follow") {
				t.Fatalf("dropped %v before max_follow: %s", res.Abandoned, logs.String())
			}
			now = now.Add(2 * time.Hour)
			res, err := e.p.Cycle(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Abandoned) != 1 || res.Abandoned[0] != "stuck" {
				t.Errorf("abandoned %v, want [stuck]", res.Abandoned)
			}
			if _, followed := e.ledger.Project(project).Tasks.Map()["stuck"]; followed {
				t.Error("the stuck task is still followed")
			}
			if l := logs.String(); !strings.Contains(l, `"level":"warn"`) || !strings.Contains(l, `"task_ids":["stuck"]`) || !strings.Contains(l, "max_follow") {
				t.Errorf("no warning naming the task: %s", l)
			}
		})
	}
}
