package dcssim

import (
	"cmp"
	"context"
	"slices"
	"time"

	"notifier/internal/retry"
)

// Step is one event of a Script.
type Step struct {
	After time.Duration // offset from the start of the script
	Do    func(s *Sim)  // the change; nil for a step that only narrates
	Say   string        // one line for a human watching the demo
}

// Script is a sequence of steps played by Sim.Play.
type Script []Step

// Narrated returns a copy of sc whose steps call say with their Say text before their change,
// which is how the demo prints what is happening.
func (sc Script) Narrated(say func(string)) Script {
	out := slices.Clone(sc)
	for i, st := range out {
		out[i].Do = func(s *Sim) {
			if st.Say != "" {
				say(st.Say)
			}
			if st.Do != nil {
				st.Do(s)
			}
		}
	}
	return out
}

// Play runs the steps at their offsets from now in real time, in order of After (steps with
// equal offsets in script order). It returns ctx.Err() if ctx ends first and nil when done.
func (s *Sim) Play(ctx context.Context, sc Script) error {
	steps := slices.Clone(sc)
	slices.SortStableFunc(steps, func(a, b Step) int { return cmp.Compare(a.After, b.After) })
	start := time.Now()
	for _, st := range steps {
		if err := retry.Sleep(ctx, time.Until(start.Add(st.After))); err != nil {
			return err
		}
		if st.Do != nil {
			st.Do(s)
		}
	}
	return nil
}

// DemoScript is about a minute in the life of one DCS instance of projectID: a spec change that
// succeeds, a public IP bound, a master/standby switchover that fails, a password change, and a
// replica added through a status the notifier has never seen (ROLLING_BACK) before it succeeds.
//
// Every timestamp is start plus the step's nominal offset (0s..60s), so the tasks are the same
// whatever the speed of play or the clock; scale is how long a nominal second lasts when played
// (time.Second for the demo, a millisecond in tests; <= 0 means time.Second). Ids are drawn from
// a generator seeded by projectID and start.
func DemoScript(projectID string, start time.Time, scale time.Duration) Script {
	if scale <= 0 {
		scale = time.Second
	}
	g := newGen(projectID, start.UnixNano())
	at := func(sec float64) time.Time { return start.Add(time.Duration(sec * float64(time.Second))).UTC() }
	user := g.user()
	extend := g.task("EXTEND", user, at(0.412))
	extend.Details = map[string]any{
		"old_capacity": 0.125, "new_capacity": 0.25,
		"old_cache_mode": "single", "new_cache_mode": "single",
		"old_resource_spec_code":  "redis.single.xu1.tiny.128",
		"new_resource_spec_code":  "redis.single.xu1.tiny.256",
		"is_only_adjust_charging": false,
	}
	eip := g.task("BindEip", user, at(4.187))
	eip.Details = g.details("BindEip")
	swap := g.task("masterStandbySwapJob", user, at(14.903))
	swap.Details = g.details("masterStandbySwapJob")
	passwd := g.task("modify", user, at(24.051))
	passwd.Details = map[string]any{"account_name": "default"}
	passwd.Status, passwd.UpdatedAt = "SUCCESS", at(24.862)
	replica := g.task("AddReplica", user, at(30.338))
	replica.Details = g.details("AddReplica")

	put := func(t Task) func(*Sim) { return func(s *Sim) { s.Put(projectID, t) } }
	set := func(t Task, status, code string, sec float64) func(*Sim) {
		return func(s *Sim) {
			_ = s.update(projectID, t.ID, func(t *Task) {
				t.Status, t.ErrorCode, t.UpdatedAt = status, code, at(sec)
			})
		}
	}
	steps := []struct {
		sec float64
		do  func(*Sim)
		say string
	}{
		{0.5, put(extend), "EXTEND: spec change 0.125 GB -> 0.25 GB started (RUNNING)"},
		{4.2, put(eip), "BindEip: public access being enabled (RUNNING)"},
		{10.7, set(extend, "SUCCESS", "", 10.652), "EXTEND: spec change finished (SUCCESS)"},
		{15, put(swap), "masterStandbySwapJob: master/standby switchover started (RUNNING)"},
		{19.4, set(eip, "SUCCESS", "", 19.366), "BindEip: public IP bound (SUCCESS)"},
		{25, put(passwd), "modify: password of account default changed (SUCCESS at once)"},
		{30.4, put(replica), "AddReplica: replica being added (RUNNING)"},
		{36.1, set(swap, "FAILED", "111400891", 36.044), "masterStandbySwapJob: switchover failed (FAILED, 111400891)"},
		{42.3, set(replica, "ROLLING_BACK", "", 42.219), "AddReplica: unknown status ROLLING_BACK"},
		{54.8, set(replica, "SUCCESS", "", 54.755), "AddReplica: replica added after all (SUCCESS)"},
		{60, nil, "demo script finished"},
	}
	sc := make(Script, 0, len(steps))
	for _, st := range steps {
		sc = append(sc, Step{After: time.Duration(st.sec * float64(scale)), Do: st.do, Say: st.say})
	}
	return sc
}
