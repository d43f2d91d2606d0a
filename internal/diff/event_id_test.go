package diff

import (
	"testing"
	"time"

	"notifier/internal/dcs"
)

// A running task that stays unlisted for a whole lookback is forgotten (vanished). Should
// it be listed again, it must not start again at transition 1: that repeats the ids of its
// first events, which a downstream deduplicating on the id drops silently. It is forgotten
// only once it is also older than the cutoff, so when it comes back it is history, never
// news; until then it is still followed and comes back as the same task.
func TestVanishedTaskThatReappearsNeverRepeatsAnEventID(t *testing.T) {
	created := t0.Add(30 * time.Second)
	tests := []struct {
		name   string
		back   time.Duration // after the first poll that misses it
		status string
	}{
		{"just after the lookback, same status", 24*time.Hour + 2*time.Minute, "RUNNING"},
		{"just after the lookback, finished", 24*time.Hour + 2*time.Minute, "SUCCESS"},
		{"inside the margin", 24*time.Hour + 6*time.Minute, "RUNNING"},
		{"after lookback and margin", 24*time.Hour + 11*time.Minute, "RUNNING"},
		{"days later", 72 * time.Hour, "FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[string]string{}
			record := func(res Result) {
				for _, e := range res.Events {
					if prev, dup := seen[e.ID]; dup {
						t.Errorf("event id %s reused: %s, then %s", e.ID, prev, kinds(res.Events))
					}
					seen[e.ID] = kinds(res.Events)[0]
				}
			}
			st := Diff(nil, nil, opts(t0)).Next // baseline, nothing there
			res := Diff(st, []dcs.Task{task("r", "EXTEND", "RUNNING", created)}, opts(t0.Add(time.Minute)))
			record(res)
			missing := t0.Add(2 * time.Minute)
			res = Diff(res.Next, nil, opts(missing))
			// Unlisted at every poll for a while (every minute), then listed again.
			for now := missing.Add(time.Minute); now.Before(missing.Add(tt.back)); now = now.Add(time.Minute) {
				res = Diff(res.Next, nil, opts(now))
				record(res)
			}
			res = Diff(res.Next, []dcs.Task{task("r", "EXTEND", tt.status, created)}, opts(missing.Add(tt.back)))
			record(res)
		})
	}
}
