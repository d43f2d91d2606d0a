package route

import (
	"testing"
	"time"

	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/receiver"
	"notifier/internal/silence"
	"notifier/internal/sinks/pagerduty"
	"notifier/internal/sinks/slacksink"
)

// A silence is one more hold of Decide: the receivers it names get nothing new, NATS
// always does, an on-call receiver still gets what may resolve an incident it opened,
// and it ends at ends_at on the caller's clock.
func TestDecideWeighsSilences(t *testing.T) {
	cfg := config.Default()
	cfg.DCS.Projects = []config.Project{{ProjectID: project, Region: "cn-north-4"}}
	cfg.PagerDuty = []pagerduty.Config{{Common: receiver.Common{Name: "pd", MinSeverity: "critical"}}}
	cfg.Slack.Webhooks = []slacksink.WebhookConfig{{Common: receiver.Common{Name: "team"}}}
	base, err := New(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
	s := silence.Silence{ID: "s1", Matchers: silence.Matchers{TaskName: "masterStandby*"}, StartsAt: t0, EndsAt: t0.Add(2 * time.Hour),
		CreatedBy: "alice", Comment: "planned failover test"}
	set, _ := silence.NewSet([]silence.Silence{s})
	tab := base.WithSilences(func() *silence.Set { return set })
	failed, ok := swapFailed, swapOK
	failed.Type, ok.Type = event.TypeStatusChanged, event.TypeStatusChanged

	in := t0.Add(time.Hour)
	// pd gets the failure only as what may continue an incident it opened: it opens none.
	if got := To(tab.Decide(&failed, in)); len(got) != 2 || got[0] != "nats" || got[1] != "pd" {
		t.Errorf("during the silence a failure goes to %v, want [nats pd]", got)
	}
	if v, _ := tab.DecideFor("pd", &failed, in); !v.MayResolve {
		t.Errorf("pd: %+v, want the failure only as what may continue an incident", v)
	}
	v, _ := tab.DecideFor("team", &failed, in)
	h, held := v.Held()
	if v.Deliver || !held || h.Cause != Silenced || h.Name != "s1" || h.Detail != "planned failover test" || !h.Until.Equal(s.EndsAt) ||
		h.String() != "silenced (s1)" {
		t.Errorf("team: %+v, want held by silence s1 until its end", v)
	}
	if v, _ := tab.DecideFor("pd", &ok, in); !v.Deliver || !v.MayResolve {
		t.Errorf("pd, on call: %+v, want what may resolve an incident it opened", v)
	}
	if m, _ := tab.DecideFor("pd", &ok, in); func() bool { h, ok := m.Muted(); return !ok || h.Cause != Silenced }() {
		t.Errorf("pd: Muted() does not say the silence: %+v", m)
	}
	if v, _ := tab.DecideFor("nats", &failed, in); !v.Deliver || len(v.Holds) != 0 {
		t.Errorf("nats: %+v, want it never silenced", v)
	}
	everything := silence.Silence{ID: "all", Matchers: silence.Matchers{EventType: "task"}, StartsAt: t0, EndsAt: t0.Add(2 * time.Hour),
		CreatedBy: "alice", Comment: "all tasks"}
	all, _ := silence.NewSet([]silence.Silence{everything})
	if got := To(base.WithSilences(func() *silence.Set { return all }).Decide(&failed, in)); len(got) != 2 || got[0] != "nats" {
		t.Errorf("a silence of every task routes a failure to %v, want nats and pd (may continue an incident)", got)
	}
	if got := To(tab.Decide(&failed, t0.Add(2*time.Hour))); len(got) != 3 {
		t.Errorf("at ends_at a failure goes to %v, want every receiver", got)
	}
	if got := To(base.Decide(&failed, in)); len(got) != 3 {
		t.Errorf("the table without silences routes to %v, want every receiver", got)
	}
}
