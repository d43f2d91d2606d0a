package event

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

func TestTestEvent(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.FixedZone("CST", 8*3600))
	a := NewTest("cn-north-4", "0123456789abcdef0123456789abcdef", "prod", now)
	b := NewTest("cn-north-4", "0123456789abcdef0123456789abcdef", "prod", now)
	if a.ID == b.ID || len(a.ID) != 32 {
		t.Errorf("ids %q and %q: want two different 32-character ids", a.ID, b.ID)
	}
	if a.Type != "com.huaweicloud.dcs.notifier.test" || !a.IsTest() {
		t.Errorf("type %q", a.Type)
	}
	if got := Subject("dcs.tasks", &a); got != "dcs.tasks._notifier.test" {
		t.Errorf("subject %q, want dcs.tasks._notifier.test", got)
	}
	if !a.Time.Equal(now) || a.Time.Location() != time.UTC || a.Data.Severity != Info || a.Data.ProjectName != "prod" {
		t.Errorf("time %v, severity %q, project name %q", a.Time, a.Data.Severity, a.Data.ProjectName)
	}
	// What consumers decode gives the same task name and status back.
	raw, err := json.Marshal(&a)
	if err != nil {
		t.Fatal(err)
	}
	var back Event
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if back.Data.TaskName != TestTaskName || back.Data.Status != "TEST" || !back.IsTest() {
		t.Errorf("decoded task name %q, status %q, type %q", back.Data.TaskName, back.Data.Status, back.Type)
	}
}

// TestKnownTaskNames: the names of the vendor's ListCenterTask page (../shared/dcs-api)
// and of its example response are known, and the test event's is not.
func TestKnownTaskNames(t *testing.T) {
	names := KnownTaskNames()
	if !slices.IsSorted(names) {
		t.Errorf("not sorted: %v", names)
	}
	for _, n := range []string{"EXTEND", "BindEip", "UnBindEip", "AddReplica", "DelReplica", "AddWhitelist",
		"UpdatePort", "RemoveIpFromDns", "masterStandbySwapJob", "modify", "ChangeInstanceSpec", "dcsExportJob"} {
		if !IsKnownTaskName(n) || !slices.Contains(names, n) {
			t.Errorf("%s is not known", n)
		}
	}
	if IsKnownTaskName(TestTaskName) || IsKnownTaskName("masterStandbySwap") {
		t.Error("an unknown name is known")
	}
}
