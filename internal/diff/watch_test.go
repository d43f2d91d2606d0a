package diff

import (
	"fmt"
	"testing"
	"time"

	"notifier/internal/dcs"
	"notifier/internal/event"
)

func stuckOpts(now time.Time) Options {
	o := opts(now)
	o.Stuck = StuckPolicy{
		After:  map[string]time.Duration{event.SwitchoverTask: 15 * time.Minute},
		Factor: 3, MinSamples: 5, MinAfter: 5 * time.Minute, DefaultAfter: 2 * time.Hour,
	}
	return o
}

func finished(id, name string, created time.Time, took time.Duration) dcs.Task {
	t := task(id, name, "SUCCESS", created)
	t.Updated = created.Add(took)
	return t
}

func ofType(evs []event.Event, typ string) []event.Event {
	var out []event.Event
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func TestStuckThresholds(t *testing.T) {
	p := stuckOpts(t0).Stuck
	five := []int64{60e3, 60e3, 60e3, 60e3, 120e3} // p95 2m
	tests := []struct {
		name      string
		task      string
		durations []int64
		want      time.Duration
		source    string
	}{
		{"configured wins over learned", event.SwitchoverTask, five, 15 * time.Minute, event.ThresholdConfigured},
		{"learned: factor × p95, at least min_after", "EXTEND", five, 6 * time.Minute, event.ThresholdLearned},
		{"learned never below min_after", "EXTEND", []int64{1e3, 1e3, 1e3, 1e3, 1e3}, 5 * time.Minute, event.ThresholdLearned},
		{"too few samples: the default", "EXTEND", five[:4], 2 * time.Hour, event.ThresholdDefault},
	}
	for _, tt := range tests {
		got, src := p.Threshold(tt.task, tt.durations)
		if got != tt.want || src != tt.source {
			t.Errorf("%s: %v (%s), want %v (%s)", tt.name, got, src, tt.want, tt.source)
		}
	}
	p.DefaultAfter = 0
	if got, src := p.Threshold("EXTEND", nil); got != 0 || src != "" {
		t.Errorf("no default and no samples: %v %s, want no threshold", got, src)
	}
}

// A switchover running past its configured 15 minutes is announced stuck once, with the
// facts; later polls do not repeat it, and its final status event says it was stuck.
func TestStuckTaskIsAnnouncedOnceAndItsEndSaysSo(t *testing.T) {
	created := t0
	swap := task("s", event.SwitchoverTask, "RUNNING", created)
	prev := Diff(nil, []dcs.Task{swap}, stuckOpts(t0)).Next // baseline
	res := Diff(prev, []dcs.Task{swap}, stuckOpts(t0.Add(10*time.Minute)))
	if len(res.Events) != 0 {
		t.Fatalf("at 10 minutes: %v, want nothing", kinds(res.Events))
	}
	res = Diff(res.Next, []dcs.Task{swap}, stuckOpts(t0.Add(16*time.Minute)))
	stuck := ofType(res.Events, event.TypeStuck)
	if len(stuck) != 1 {
		t.Fatalf("at 16 minutes: %v, want one stuck event", kinds(res.Events))
	}
	d := stuck[0].Data
	if d.Severity != event.Critical || d.RunningSeconds != 960 || d.ThresholdSeconds != 900 || d.ThresholdSource != event.ThresholdConfigured || d.Status != "RUNNING" {
		t.Errorf("stuck data %+v", d)
	}
	again := Diff(res.Next, []dcs.Task{swap}, stuckOpts(t0.Add(30*time.Minute)))
	if len(again.Events) != 0 {
		t.Errorf("announced again: %v", kinds(again.Events))
	}
	end := Diff(again.Next, []dcs.Task{task("s", event.SwitchoverTask, "SUCCESS", created)}, stuckOpts(t0.Add(40*time.Minute)))
	if len(end.Events) != 1 || !end.Events[0].Data.WasStuck {
		t.Errorf("final event %v, want one status_changed with was_stuck", end.Events)
	}
}

// Durations are learned from finished tasks, kept with the state (bounded), and make the
// learned threshold once min_samples are known.
func TestLearnedDurationsMakeTheThreshold(t *testing.T) {
	var listed []dcs.Task
	for i := range 5 {
		listed = append(listed, finished(fmt.Sprint("f", i), "EXTEND", t0.Add(-time.Duration(i+1)*time.Hour), 2*time.Minute))
	}
	prev := Diff(nil, listed, stuckOpts(t0)).Next // the baseline learns its finished tasks
	if got := len(prev.Durations["EXTEND"]); got != 5 {
		t.Fatalf("learned %d durations at the baseline, want 5", got)
	}
	run := task("r", "EXTEND", "RUNNING", t0)
	prev = Diff(prev, append(listed, run), stuckOpts(t0)).Next
	res := Diff(prev, append(listed, run), stuckOpts(t0.Add(7*time.Minute))) // 3 × 2m = 6m
	stuck := ofType(res.Events, event.TypeStuck)
	if len(stuck) != 1 || stuck[0].Data.ThresholdSource != event.ThresholdLearned || stuck[0].Data.Severity != event.Warning {
		t.Errorf("events %v, want one learned, warning stuck event", kinds(res.Events))
	}
	// Bounded: the last MaxDurations per name.
	st := res.Next
	for i := range MaxDurations + 10 {
		id := fmt.Sprint("g", i)
		st = Diff(st, []dcs.Task{task(id, "EXTEND", "RUNNING", t0)}, stuckOpts(t0)).Next
		done := task(id, "EXTEND", "SUCCESS", t0)
		done.Updated = t0.Add(time.Minute)
		st = Diff(st, []dcs.Task{done}, stuckOpts(t0.Add(time.Minute))).Next
	}
	if got := len(st.Durations["EXTEND"]); got != MaxDurations {
		t.Errorf("%d durations kept, want %d", got, MaxDurations)
	}
	if len(prev.Durations["EXTEND"]) != 5 {
		t.Error("a later diff modified an earlier state's durations")
	}
}

// A task followed for max_follow is dropped after its stuck event, never before it.
func TestAbandonedTaskIsAnnouncedStuckFirst(t *testing.T) {
	o := stuckOpts(t0)
	o.Stuck.DefaultAfter = 30 * 24 * time.Hour // longer than max_follow
	z := task("z", "EXTEND", "RUNNING", t0)
	prev := Diff(nil, []dcs.Task{z}, o).Next
	later := o
	later.Now = t0.Add(o.MaxFollow + time.Minute)
	res := Diff(prev, []dcs.Task{z}, later)
	if fmt.Sprint(res.Abandoned) != "[z]" || len(ofType(res.Events, event.TypeStuck)) != 1 {
		t.Errorf("abandoned %v with events %v, want z dropped after its stuck event", res.Abandoned, kinds(res.Events))
	}
}

// A project unread for gap_after gets one gap event, one escalation after 6 × gap_after,
// and, at the next successful poll, one restored event saying whether its window covered
// the blind time.
func TestBlindSpotIsAnnouncedOnceEscalatedOnceAndRestored(t *testing.T) {
	o := opts(t0)
	o.GapAfter = 5 * time.Minute
	prev := Diff(nil, nil, o).Next
	at := func(d time.Duration) Options { x := o; x.Now = t0.Add(d); return x }
	var all []event.Event
	st := prev
	for _, d := range []time.Duration{time.Minute, 5 * time.Minute, 6 * time.Minute, 30 * time.Minute, 31 * time.Minute} {
		next, evs, ok := Blind(st, time.Time{}, "credentials refused", at(d))
		if ok {
			st = next
		}
		all = append(all, evs...)
	}
	if len(all) != 2 || all[0].Data.Escalated || !all[1].Data.Escalated || all[1].Data.Severity != event.Critical ||
		!all[0].Data.BlindSince.Equal(t0) || all[0].Data.Reason != "credentials refused" {
		t.Fatalf("gap events %+v, want one warning then one escalation, blind since %v", all, t0)
	}
	if prev.Gap != nil {
		t.Error("Blind modified the previous state")
	}
	ok := at(40 * time.Minute)
	ok.Window = t0.Add(-time.Hour) // the poll's window reaches back before the gap
	res := Diff(st, nil, ok)
	r := ofType(res.Events, event.TypeRestored)
	if len(r) != 1 || !*r[0].Data.Complete || r[0].Data.BlindSeconds != 2400 || res.Next.Gap != nil {
		t.Fatalf("restored %+v gap %v, want one complete restore of 40m", r, res.Next.Gap)
	}
	if again := Diff(res.Next, nil, at(41*time.Minute)); len(again.Events) != 0 {
		t.Errorf("restored again: %v", kinds(again.Events))
	}
}

// Before a project's first successful poll, a blind spot is kept in a state that does not
// count as a baseline: the first successful poll is still silent about what it finds.
func TestBlindBeforeTheFirstPollKeepsTheBaselineSilent(t *testing.T) {
	o := opts(t0)
	o.GapAfter = 5 * time.Minute
	late := o
	late.Now = t0.Add(6 * time.Minute)
	st, evs, ok := Blind(nil, t0, "unreachable", late)
	if !ok || len(evs) != 1 || !st.Unread {
		t.Fatalf("blind from the start: %v %v %+v", ok, evs, st)
	}
	late.Now = t0.Add(7 * time.Minute)
	res := Diff(st, []dcs.Task{task("a", "EXTEND", "RUNNING", t0.Add(-time.Hour))}, late)
	if len(taskEvents(res.Events)) != 0 || len(ofType(res.Events, event.TypeRestored)) != 1 || res.Next.Unread {
		t.Errorf("first poll after a blind start: %v, want a silent baseline and one restored event", kinds(res.Events))
	}
}

// A state older than lookback + margin (the notifier was down for days): the first poll
// after the restart restores the blind time as incomplete, since the window could not
// reach back to it; a short downtime announces nothing.
func TestRestartAfterALongDowntimeRestoresIncomplete(t *testing.T) {
	o := opts(t0)
	prev := Diff(nil, nil, o).Next
	for _, tc := range []struct {
		name string
		down time.Duration
		want int
	}{
		{"an hour", time.Hour, 0},
		{"three days", 72 * time.Hour, 1},
	} {
		later := opts(t0.Add(tc.down))
		later.Window = WindowStart(prev, later)
		res := Diff(prev, nil, later)
		r := ofType(res.Events, event.TypeRestored)
		if len(r) != tc.want {
			t.Errorf("%s down: %d restored events, want %d", tc.name, len(r), tc.want)
			continue
		}
		if tc.want == 1 && (*r[0].Data.Complete || r[0].Data.Severity != event.Warning || !r[0].Data.BlindSince.Equal(t0)) {
			t.Errorf("%s down: %+v, want incomplete, warning, blind since the last poll", tc.name, r[0].Data)
		}
	}
}

// The state keeps the last successful poll only every SaveLastOK; the poller knows a later
// one, and the blind spot begins there.
func TestBlindSpotBeginsAtTheLastPollTheCallerKnows(t *testing.T) {
	o := opts(t0)
	o.GapAfter = 5 * time.Minute
	prev := Diff(nil, nil, o).Next // LastOK = t0
	seen := t0.Add(8 * time.Minute)
	o.Now = t0.Add(14 * time.Minute)
	_, evs, ok := Blind(prev, seen, "throttled", o)
	if !ok || len(evs) != 1 || !evs[0].Data.BlindSince.Equal(seen) {
		t.Fatalf("gap %v %+v, want one blind since %v", ok, evs, seen)
	}
	o.Now = t0.Add(12 * time.Minute) // 4 minutes after the last poll the poller knows: not yet
	if _, evs, ok := Blind(prev, seen, "throttled", o); ok || len(evs) != 0 {
		t.Errorf("announced %v after 4 minutes of blindness (gap_after 5m)", evs)
	}
}

// A poll whose one change is the refreshed time of the last successful poll says so
// (LastOKOnly: the caller may save it lazily); any other change, event or the first poll
// does not.
func TestLastOKOnlyIsSaidOfTheRefreshAlone(t *testing.T) {
	o := opts(t0)
	o.SaveLastOK = 10 * time.Minute
	a := task("a", "EXTEND", "RUNNING", t0.Add(-time.Minute))
	first := Diff(nil, []dcs.Task{a}, o)
	if first.LastOKOnly {
		t.Fatal("the first poll is LastOKOnly")
	}
	o.Now = t0.Add(5 * time.Minute)
	if r := Diff(first.Next, []dcs.Task{a}, o); r.Changed || r.LastOKOnly {
		t.Fatalf("before SaveLastOK: changed %v, LastOKOnly %v; want neither", r.Changed, r.LastOKOnly)
	}
	o.Now = t0.Add(11 * time.Minute)
	r := Diff(first.Next, []dcs.Task{a}, o)
	if !r.Changed || !r.LastOKOnly || r.Next.LastOK != o.Now.UnixMilli() || len(r.Events) != 0 {
		t.Fatalf("the refresh alone: changed %v, LastOKOnly %v, LastOK %d, %d events", r.Changed, r.LastOKOnly, r.Next.LastOK, len(r.Events))
	}
	done := a
	done.Status = "SUCCESS"
	if r := Diff(first.Next, []dcs.Task{done}, o); !r.Changed || r.LastOKOnly || len(r.Events) != 1 {
		t.Fatalf("a transition with the refresh: changed %v, LastOKOnly %v, %d events", r.Changed, r.LastOKOnly, len(r.Events))
	}
}
