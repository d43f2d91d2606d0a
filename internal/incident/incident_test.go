package incident

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"notifier/internal/event"
)

const proj = "0123456789abcdef0123456789abcdef"

var t0 = time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)

// view is what a receiver opened, as a slice.
type view []Open

func (v view) Opened(key string) []Open {
	var out []Open
	for _, o := range v {
		if o.Key == key {
			out = append(out, o)
		}
	}
	return out
}
func (v view) All() []Open { return v }

func task(id, name, status, instance string) event.Event {
	raw, _ := json.Marshal(map[string]string{"id": id, "name": name, "status": status, "instance_id": instance})
	e := event.New(event.Transition{ProjectID: proj, Region: "cn-north-4", TaskID: id, TaskName: name, Status: status,
		Task: raw, Seq: 2, DetectedAt: t0})
	e.Data.InstanceID = instance
	return e
}

func keys(os []Open) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.Alert+" "+o.Key)
	}
	return out
}

func TestDecide(t *testing.T) {
	st := event.DefaultStatuses()
	k1 := "dcs/" + proj + "/t1"
	failed1 := Open{Key: k1, Alert: Failed, Since: t0.Add(-time.Hour), TaskID: "t1", TaskName: "EXTEND", Instance: "i1"}
	stuck1 := Open{Key: k1, Alert: Stuck, Since: t0.Add(-time.Hour), TaskID: "t1", TaskName: "EXTEND"}
	gap := Open{Key: "dcs/" + proj + "/watch", Alert: Gap, Since: t0.Add(-time.Hour)}
	stuckEv := event.NewStuck(event.Stuck{ProjectID: proj, Region: "r", TaskID: "t1", TaskName: "EXTEND", Status: "RUNNING", DetectedAt: t0})
	gapEv := event.NewGap(event.Gap{ProjectID: proj, Region: "r", BlindSince: t0, DetectedAt: t0})
	restoredEv := event.NewRestored(event.Restored{ProjectID: proj, Region: "r", BlindSince: t0, BlindUntil: t0, Complete: true, DetectedAt: t0})
	tests := []struct {
		name      string
		e         event.Event
		match     bool
		opened    view
		wantOpen  string // "alert key" or ""
		wantClose []string
	}{
		{"a matching failure opens", task("t1", "EXTEND", "FAILED", ""), true, nil, Failed + " " + k1, nil},
		{"a refused failure opens nothing", task("t1", "EXTEND", "FAILED", ""), false, nil, "", nil},
		{"a success never triggered resolves nothing", task("t1", "EXTEND", "SUCCESS", ""), true, nil, "", nil},
		{"a success resolves what was opened, whatever the filter", task("t1", "EXTEND", "SUCCESS", ""), false, view{failed1}, "", []string{Failed + " " + k1}},
		{"a cancel resolves", task("t1", "EXTEND", "CANCELLED", ""), false, view{stuck1}, "", []string{Stuck + " " + k1}},
		{"a retry on the same instance resolves the earlier failure", task("t2", "EXTEND", "SUCCESS", "i1"), false, view{failed1}, "", []string{Failed + " " + k1}},
		{"a retry on another instance does not", task("t2", "EXTEND", "SUCCESS", "i2"), false, view{failed1}, "", nil},
		{"a success of another name does not", task("t2", "RESTART", "SUCCESS", "i1"), false, view{failed1}, "", nil},
		{"an unknown instance never resolves another task", task("t2", "EXTEND", "SUCCESS", ""), false, view{failed1}, "", nil},
		{"a failed retry does not resolve", task("t2", "EXTEND", "FAILED", "i1"), false, view{failed1}, "", nil},
		{"a stuck task that fails: stuck ends, failed opens even if refused", task("t1", "EXTEND", "FAILED", ""), false, view{stuck1}, Failed + " " + k1, []string{Stuck + " " + k1}},
		{"stuck opens", stuckEv, true, nil, Stuck + " " + k1, nil},
		{"a running switchover opens", task("t1", event.SwitchoverTask, "RUNNING", ""), true, nil, Switchover + " " + k1, nil},
		{"a running task of another name opens nothing", task("t1", "EXTEND", "RUNNING", ""), true, nil, "", nil},
		{"a gap opens", gapEv, true, nil, Gap + " " + gap.Key, nil},
		{"an escalated gap continues, filter or not", gapEv, false, view{gap}, Gap + " " + gap.Key, nil},
		{"restored resolves the gap", restoredEv, false, view{gap, failed1}, "", []string{Gap + " " + gap.Key}},
		{"restored without a gap resolves nothing", restoredEv, true, view{failed1}, "", nil},
		{"a test event does nothing", event.NewTest("r", proj, "", t0), true, nil, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Decide(&tt.e, tt.match, st, tt.opened)
			got := ""
			if p.Open != nil {
				got = p.Open.Alert + " " + p.Open.Key
			}
			if got != tt.wantOpen {
				t.Errorf("open = %q, want %q", got, tt.wantOpen)
			}
			if c := keys(p.Close); !slices.Equal(c, tt.wantClose) {
				t.Errorf("close = %v, want %v", c, tt.wantClose)
			}
		})
	}
}

// An update keeps the time the incident was first opened (Alertmanager's startsAt).
func TestDecideKeepsSince(t *testing.T) {
	e := task("t1", event.SwitchoverTask, "RUNNING", "i1")
	old := Open{Key: Key(&e), Alert: Switchover, Since: t0.Add(-time.Minute)}
	p := Decide(&e, true, event.DefaultStatuses(), view{old})
	if p.Open == nil || !p.Open.Since.Equal(old.Since) || p.Open.Instance != "i1" || p.Open.TaskID != "t1" {
		t.Fatalf("open = %+v, want since %v, instance i1, task t1", p.Open, old.Since)
	}
}

func TestDecodeRefusesOtherValues(t *testing.T) {
	for _, v := range []string{"", "x", "{}", `{"key":"k"}`} {
		if _, ok := Decode(v); ok {
			t.Errorf("Decode(%q) ok", v)
		}
	}
	o := Open{Key: "k", Alert: Gap, Since: t0}
	b, _ := json.Marshal(o)
	if got, ok := Decode(string(b)); !ok || got != o {
		t.Errorf("Decode = %+v %v, want %+v", got, ok, o)
	}
}

func TestConcerns(t *testing.T) {
	st := event.DefaultStatuses()
	for _, tt := range []struct {
		e    event.Event
		want bool
	}{
		{task("t", "EXTEND", "SUCCESS", ""), true},
		{task("t", "EXTEND", "FAILED", ""), true},
		{task("t", "EXTEND", "RUNNING", ""), false},
		{event.NewRestored(event.Restored{ProjectID: proj}), true},
		{event.NewGap(event.Gap{ProjectID: proj}), false},
	} {
		if got := Concerns(&tt.e, st); got != tt.want {
			t.Errorf("%s %s: Concerns = %v, want %v", tt.e.Type, tt.e.Data.Status, got, tt.want)
		}
	}
}

func TestSummaryIsClipped(t *testing.T) {
	e := task("t1", string(make([]byte, 3000)), "FAILED", "")
	if s := Summary(&e, Failed); len(s) > maxSummary {
		t.Errorf("summary of %d bytes", len(s))
	}
}

// Every incident about a switchover says "switchover" (the vendor's word, from the one
// label table) in its summary, and its description starts with the task's API name; a
// failure's description gives the API's error code and message.
func TestSwitchoverTextInTheVendorsWords(t *testing.T) {
	running := task("t1", event.SwitchoverTask, "RUNNING", "i1")
	failed := task("t1", event.SwitchoverTask, "FAILED", "i1")
	failed.Data.Task = []byte(`{"id":"t1","name":"masterStandbySwapJob","status":"FAILED","error_code":111400082,"details":{"error_msg":"The standby node is not ready"}}`)
	stuck := event.NewStuck(event.Stuck{ProjectID: proj, Region: "cn-north-4", TaskID: "t1", TaskName: event.SwitchoverTask,
		Status: "RUNNING", Running: 40 * time.Minute, Threshold: 15 * time.Minute, Source: event.ThresholdConfigured, DetectedAt: t0})
	for _, c := range []struct {
		alert          string
		e              *event.Event
		summary, descr string
	}{
		{Switchover, &running, "DCS: Master/standby switchover running on instance i1 in ", "Task: masterStandbySwapJob; task t1 is RUNNING;"},
		{Stuck, &stuck, "DCS: Master/standby switchover stuck, still RUNNING after 40m0s in ", "Task: masterStandbySwapJob; task t1 is RUNNING; running 40m0s"},
		{Failed, &failed, "DCS: Master/standby switchover failed on instance i1 in ",
			"Task: masterStandbySwapJob; task t1 is FAILED; error code 111400082: The standby node is not ready; project "},
	} {
		if s := Summary(c.e, c.alert); !strings.HasPrefix(s, c.summary) {
			t.Errorf("%s: summary %q, want it to start %q", c.alert, s, c.summary)
		}
		if d := Description(c.e, c.alert); !strings.HasPrefix(d, c.descr) {
			t.Errorf("%s: description %q, want it to start %q", c.alert, d, c.descr)
		}
	}
	if d := Description(&failed, Stuck); strings.Contains(d, "error") {
		t.Errorf("a stuck task's description gives an error: %q", d)
	}
	// A failure first seen finished says that its start was never seen.
	unseen := failed
	unseen.Data.UnseenStatuses = true
	if d, want := Description(&unseen, Failed), "Task: masterStandbySwapJob; task t1 is FAILED; started and ended between two polls; error code 111400082"; !strings.HasPrefix(d, want) {
		t.Errorf("description %q, want it to start %q", d, want)
	}
	if d := Description(&failed, Failed); strings.Contains(d, "between two polls") {
		t.Errorf("a failure seen running says it was not: %q", d)
	}
}
