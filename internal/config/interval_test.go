package config

import (
	"strings"
	"testing"
	"time"
)

const oneProject = "[[dcs.projects]]\nregion = \"cn-north-4\"\nproject_id = \"0123456789abcdef0123456789abcdef\"\n"

// poll.interval reads "auto" or a duration; under "auto" every rule that judges the
// interval goes by the longest it can be (30s), and the effective configuration prints
// "auto" again.
func TestPollIntervalAuto(t *testing.T) {
	c, err := Load([]byte(oneProject + "[poll]\ninterval = \"auto\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Poll.Interval.Auto || c.Poll.Interval.D() != AutoIntervalMax || c.Poll.AutoBudgetShare != DefaultAutoBudgetShare {
		t.Errorf("interval = \"auto\" loads as %+v, share %v; want auto, 30s, 0.2", c.Poll.Interval, c.Poll.AutoBudgetShare)
	}
	if s := c.String(); !strings.Contains(s, `interval = 'auto'`) && !strings.Contains(s, `interval = "auto"`) {
		t.Errorf("the effective configuration does not say interval = auto:\n%s", s)
	}
	again, err := Load([]byte(c.String()))
	if err != nil || again.Poll.Interval != c.Poll.Interval {
		t.Errorf("the effective configuration loads again as %+v, %v", again.Poll.Interval, err)
	}
	c, err = Load([]byte(oneProject + "[poll]\ninterval = \"45s\"\nactive_interval = \"5s\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Poll.Interval.Auto || c.Poll.Interval.D() != 45*time.Second || c.Poll.Interval.String() != "45s" {
		t.Errorf("interval = \"45s\" loads as %+v", c.Poll.Interval)
	}
	// Under auto, active_interval is not held to the 30s auto may reach.
	if _, err := Load([]byte(oneProject + "[poll]\ninterval = \"auto\"\nactive_interval = \"1m\"\n")); err != nil {
		t.Errorf("auto with active_interval = 1m: %v", err)
	}
}

func TestPollAutoBudgetShare(t *testing.T) {
	for _, tc := range []struct {
		value string
		ok    bool
	}{
		{"1", true}, {"0.2", true}, {"0.01", true},
		{"0", false}, {"-0.1", false}, {"1.01", false}, {"nan", false}, {"inf", false},
	} {
		_, err := Load([]byte(oneProject + "[poll]\ninterval = \"auto\"\nauto_budget_share = " + tc.value + "\n"))
		if tc.ok && err != nil {
			t.Errorf("auto_budget_share = %s: %v", tc.value, err)
		}
		if !tc.ok && (err == nil || !strings.Contains(err.Error(), "poll.auto_budget_share: must be more than 0 and at most 1")) {
			t.Errorf("auto_budget_share = %s: error %v, want one naming poll.auto_budget_share", tc.value, err)
		}
	}
	for _, v := range []string{`"auto "`, `"Auto"`, `"fast"`} {
		if _, err := Load([]byte(oneProject + "[poll]\ninterval = " + v + "\n")); err == nil || !strings.Contains(err.Error(), "poll.interval") {
			t.Errorf("interval = %s: error %v, want one naming poll.interval", v, err)
		}
	}
}
