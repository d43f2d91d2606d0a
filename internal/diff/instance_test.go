package diff

import (
	"encoding/json"
	"testing"
	"time"

	"notifier/internal/dcs"
	"notifier/internal/event"
)

// TestEventsCarryTheInstance: a transition and a stuck event carry the instance the task
// names (here in params, a JSON object in a string), and nothing when it names none.
func TestEventsCarryTheInstance(t *testing.T) {
	c := t0.Add(-time.Hour)
	withInstance := task("s", event.SwitchoverTask, "RUNNING", c)
	withInstance.Raw, _ = json.Marshal(map[string]any{"id": "s", "name": event.SwitchoverTask, "status": "RUNNING",
		"created_at": c.Format(time.RFC3339Nano), "params": `{"instance_id":"i-9","instance_name":"redis-prod"}`})
	o := stuckOpts(t0)
	o.Notify = true
	res := Diff(nil, []dcs.Task{withInstance, task("n", "AddReplica", "RUNNING", c)}, o)
	var saw int
	for _, e := range res.Events {
		switch e.Subject {
		case "s":
			saw++
			if e.Data.InstanceID != "i-9" || e.Data.InstanceName != "redis-prod" {
				t.Errorf("%s event of s: instance %q %q", e.Type, e.Data.InstanceID, e.Data.InstanceName)
			}
		case "n":
			if e.Data.InstanceID != "" || e.Data.InstanceName != "" {
				t.Errorf("%s event of n: instance %q %q invented", e.Type, e.Data.InstanceID, e.Data.InstanceName)
			}
		}
	}
	if len(ofType(res.Events, event.TypeStuck)) == 0 || saw < 2 {
		t.Fatalf("want a created and a stuck event of s, got %v", kinds(res.Events))
	}
}
