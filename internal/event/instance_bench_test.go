package event

import (
	"encoding/json"
	"testing"
)

// A task as the task center lists it, without instance fields (the documented schema), and
// one that names its instance in params (a string holding JSON) and details.
var (
	benchTaskPlain = json.RawMessage(`{"id":"burst000000000000000000000000001","name":"EXTEND","user_name":"ops","user_id":"u1",` +
		`"params":"{\"spec_code\":\"redis.ha.xu1.large.r2.2\",\"new_capacity\":1}","status":"RUNNING","created_at":"2026-12-04T10:00:00.000Z",` +
		`"updated_at":"2026-12-04T10:00:01.000Z","enable_show":true,"job_id":"job00000000000000000000000000001",` +
		`"details":{"old_capacity":0.5,"new_capacity":1,"old_cache_mode":"ha","new_cache_mode":"ha"}}`)
	benchTaskNamed = json.RawMessage(`{"id":"burst000000000000000000000000001","name":"EXTEND","user_name":"ops","user_id":"u1",` +
		`"params":"{\"instance_id\":\"3c49a4e9-6d5a-4b3e-8f2a-0d6f1b2c3d4e\",\"new_capacity\":1}","status":"RUNNING",` +
		`"created_at":"2026-12-04T10:00:00.000Z","updated_at":"2026-12-04T10:00:01.000Z","enable_show":true,` +
		`"job_id":"job00000000000000000000000000001","details":{"instance_name":"redis-prod","old_capacity":0.5,"new_capacity":1}}`)
)

// BenchmarkInstance is the instance lookup every transition event makes (10,000 of them
// in a burst): a task without instance fields, and one naming its instance in params and
// details.
func BenchmarkInstance(b *testing.B) {
	for _, c := range []struct {
		name, id, inst string
		task           json.RawMessage
	}{
		{"plain", "", "", benchTaskPlain},
		{"named", "3c49a4e9-6d5a-4b3e-8f2a-0d6f1b2c3d4e", "redis-prod", benchTaskNamed},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if id, name := Instance(c.task); id != c.id || name != c.inst {
					b.Fatalf("Instance = %q, %q; want %q, %q", id, name, c.id, c.inst)
				}
			}
		})
	}
}
