package diff

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"notifier/internal/dcs"
)

// TestSettledStateStaysUnchanged is Settled's contract, over random histories: whenever a
// listing left a state unchanged (or changed only its last successful poll), and Settled
// says so of that state at a later time, a diff of the same listing then finds nothing and
// returns the state itself. A poller skips decoding and diffing on that word.
func TestSettledStateStaysUnchanged(t *testing.T) {
	settled, unsettled := 0, 0
	for seed := range uint64(1000) {
		rng := rand.New(rand.NewPCG(seed, 17))
		o := opts(t0)
		o.Lookback = []time.Duration{time.Hour, 6 * time.Hour, 24 * time.Hour}[rng.IntN(3)]
		o.Margin = time.Duration(rng.IntN(3)) * 5 * time.Minute
		o.SaveLastOK = []time.Duration{0, 5 * time.Minute, time.Hour}[rng.IntN(3)]
		o.MaxFollow = []time.Duration{0, 2 * time.Hour, 7 * 24 * time.Hour}[rng.IntN(3)]
		o.Notify = rng.IntN(4) == 0
		statuses := []string{"RUNNING", "SUCCESS", "FAILED", "", "ROLLING_BACK", "SUCCESS", "SUCCESS", "FAILED", "SUCCESS"}
		universe := make([]dcs.Task, 12+rng.IntN(20))
		now := t0
		for i := range universe {
			created := now.Add(-time.Duration(rng.Int64N(int64(30 * time.Hour))))
			universe[i] = task(fmt.Sprintf("t%02d", i), []string{"EXTEND", "masterStandbySwapJob", "BindEip"}[rng.IntN(3)],
				statuses[rng.IntN(len(statuses))], created)
		}
		var prev *ProjectState
		for range 12 {
			now = now.Add(time.Duration(rng.Int64N(int64(3 * time.Hour))))
			for i := range universe { // some tasks change, some finish
				if rng.IntN(3) == 0 {
					universe[i].Status = statuses[rng.IntN(len(statuses))]
				}
			}
			var listing []dcs.Task
			for _, tk := range universe {
				if rng.IntN(5) > 0 && !tk.Created.After(now) {
					listing = append(listing, tk)
				}
			}
			o.Now = now
			o.Window = WindowStart(prev, o)
			r1 := Diff(prev, listing, o)
			prev = r1.Next
			quiet := len(r1.Events) == 0 && (!r1.Changed || r1.LastOKOnly)
			if !quiet {
				continue
			}
			for range 6 {
				o2 := o
				later := []time.Duration{time.Minute, time.Hour, 30 * time.Hour}[rng.IntN(3)]
				o2.Now = now.Add(time.Duration(rng.Int64N(int64(later))))
				o2.Window = WindowStart(prev, o2)
				if !Settled(prev, o2) {
					unsettled++
					continue
				}
				settled++
				r2 := Diff(prev, listing, o2)
				if r2.Changed || len(r2.Events) > 0 || r2.Next != prev || r2.History != r1.History || r2.LastOKOnly {
					t.Fatalf("seed %d: settled at %s (last diff %s) but the same listing's diff changed: changed %v, events %v, same state %v, history %d → %d, last_ok only %v",
						seed, o2.Now, o.Now, r2.Changed, kinds(r2.Events), r2.Next == prev, r1.History, r2.History, r2.LastOKOnly)
				}
			}
		}
	}
	// Both answers must be common for the check to mean anything.
	if settled < 1000 || unsettled < 1000 {
		t.Fatalf("settled %d times, unsettled %d times: the histories do not exercise Settled", settled, unsettled)
	}
	t.Logf("settled %d, unsettled %d", settled, unsettled)
}

// TestSettledRefusesWhatTheClockChanges names each rule of Diff that depends on the clock
// alone: with it, the state is not settled.
func TestSettledRefusesWhatTheClockChanges(t *testing.T) {
	c := t0.Add(-time.Hour)
	base := func(statuses ...string) *ProjectState {
		var ts []dcs.Task
		for i, s := range statuses {
			ts = append(ts, task(fmt.Sprintf("t%d", i), "EXTEND", s, c))
		}
		st := Diff(nil, ts, opts(t0)).Next
		return st
	}
	o := opts(t0.Add(time.Minute))
	if !Settled(base("SUCCESS", "FAILED"), o) {
		t.Fatal("finished tasks inside the lookback, last poll a minute ago: want settled")
	}
	running := base("SUCCESS", "RUNNING")
	gap := *base("SUCCESS")
	gap.Gap = &Gap{Since: t0.UnixMilli()}
	unread := *base("SUCCESS")
	unread.Unread = true
	leaving := opts(c.Add(o.Lookback + o.Margin + time.Millisecond))
	due := o
	due.SaveLastOK = time.Minute
	for _, tt := range []struct {
		name string
		st   *ProjectState
		o    Options
	}{
		{"a running task", running, o},
		{"a blind spot to end", &gap, o},
		{"an unread project", &unread, o},
		{"a finished task leaving the lookback", base("SUCCESS"), leaving},
		{"the last successful poll due to be written", base("SUCCESS"), due},
		{"a last successful poll older than lookback + margin", base(), opts(t0.Add(25 * time.Hour))},
		{"no state", nil, o},
	} {
		if Settled(tt.st, tt.o) {
			t.Errorf("%s: settled", tt.name)
		}
	}
}
