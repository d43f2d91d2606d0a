package event

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestWatchEventsSubjectsSeveritiesAndStableIDs(t *testing.T) {
	now := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	since := now.Add(-20 * time.Minute)
	const p = "0123456789abcdef0123456789abcdef"
	stuck := func(name string) Event {
		return NewStuck(Stuck{ProjectID: p, Region: "cn-north-4", TaskID: "t1", TaskName: name, Status: "RUNNING",
			Task: []byte(`{"id":"t1"}`), Running: 40 * time.Minute, Threshold: 15 * time.Minute, Source: ThresholdConfigured, DetectedAt: now})
	}
	gap := NewGap(Gap{ProjectID: p, Region: "cn-north-4", BlindSince: since, Reason: "credentials refused", DetectedAt: now})
	esc := NewGap(Gap{ProjectID: p, Region: "cn-north-4", BlindSince: since, Escalated: true, DetectedAt: now.Add(time.Hour)})
	restored := NewRestored(Restored{ProjectID: p, Region: "cn-north-4", BlindSince: since, BlindUntil: now, Complete: true, DetectedAt: now})
	partial := NewRestored(Restored{ProjectID: p, Region: "cn-north-4", BlindSince: since, BlindUntil: now, DetectedAt: now})
	for _, tc := range []struct {
		name    string
		e       Event
		subject string
		sev     Severity
	}{
		{"stuck switchover", stuck(SwitchoverTask), "dcs.tasks." + p + ".masterStandbySwapJob.STUCK", Critical},
		{"stuck other", stuck("EXTEND"), "dcs.tasks." + p + ".EXTEND.STUCK", Warning},
		{"gap", gap, "dcs.tasks." + p + "._watch.gap", Warning},
		{"gap escalated", esc, "dcs.tasks." + p + "._watch.gap", Critical},
		{"restored", restored, "dcs.tasks." + p + "._watch.restored", Info},
		{"restored incomplete", partial, "dcs.tasks." + p + "._watch.restored", Warning},
	} {
		if got := Subject("dcs.tasks", &tc.e); got != tc.subject {
			t.Errorf("%s: subject %s, want %s", tc.name, got, tc.subject)
		}
		if tc.e.Data.Severity != tc.sev {
			t.Errorf("%s: severity %s, want %s", tc.name, tc.e.Data.Severity, tc.sev)
		}
	}
	if stuck("EXTEND").ID != NewStuck(Stuck{ProjectID: p, TaskID: "t1", DetectedAt: now.Add(time.Hour)}).ID {
		t.Error("a stuck task's event id changes with the time it is detected: a restart would announce it again")
	}
	if gap.ID == esc.ID || gap.ID == restored.ID {
		t.Error("the gap, its escalation and its end share an id")
	}
	b, _ := json.Marshal(restored)
	for _, want := range []string{`"type":"com.huaweicloud.dcs.watch.restored"`, `"blind_seconds":1200`, `"complete":true`, `"blind_since":"2026-12-01T02:40:00Z"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("restored event %s lacks %s", b, want)
		}
	}
	if b, _ := json.Marshal(partial); !strings.Contains(string(b), `"complete":false`) {
		t.Errorf("an incomplete restore must say complete false: %s", b)
	}
	if b, _ := json.Marshal(gap); strings.Contains(string(b), `"task"`) {
		t.Errorf("a gap event has no task: %s", b)
	}
}
