package poller

import (
	"encoding/json"
	"testing"
	"time"

	"notifier/internal/dcs"
	"notifier/internal/dcssim"
	"notifier/internal/diff"
)

// BenchmarkPollUnchanged1k is the CPU of a steady-state poll: decode a 1,000-task page
// (as the API writes it) and diff it against a state in which nothing changed.
func BenchmarkPollUnchanged1k(b *testing.B) {
	now := time.Now().UTC()
	tasks := dcssim.SeedHistory(project, 1000, now.Add(-23*time.Hour), now.Add(-time.Minute))
	body, err := json.Marshal(struct {
		TaskCount int           `json:"task_count"`
		Tasks     []dcssim.Task `json:"tasks"`
	}{len(tasks), tasks})
	if err != nil {
		b.Fatal(err)
	}
	o := diff.Options{Now: now, Policy: diff.Policy{ProjectID: project, Region: "cn-north-4", Lookback: 24 * time.Hour,
		Margin: 10 * time.Minute, Terminal: map[string]bool{"SUCCESS": true, "FAILED": true}}}
	first, err := dcs.Decode(body)
	if err != nil {
		b.Fatal(err)
	}
	prev := diff.Diff(nil, first.Tasks, o).Next
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := dcs.Decode(body)
		if err != nil {
			b.Fatal(err)
		}
		if res := diff.Diff(prev, p.Tasks, o); res.Changed || len(res.Events) > 0 {
			b.Fatal("nothing changed, yet the diff changed the state")
		}
	}
	b.ReportMetric(float64(testing.AllocsPerRun(20, func() {
		p, _ := dcs.Decode(body)
		diff.Diff(prev, p.Tasks, o)
	}))/1000, "allocs/task")
}
