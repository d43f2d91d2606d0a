package poller

import (
	"fmt"
	"testing"
	"time"

	"notifier/internal/dcssim"
)

// BenchmarkCycle3000 is one steady-state poll of issue 30's workload over HTTP: 3,000
// tasks with details and params, ~1,100 in the window (two pages, ~470 KB), nothing
// changed. The simulator serves from the same process: its CPU is in the figure, so
// cmd/perf -run poll, which runs it apart, is the measure; this is for profiles
// (-cpuprofile, then pprof -focus poller|dcs|diff).
func BenchmarkCycle3000(b *testing.B) {
	e := newEnv(b, setup{})
	now := time.Now().UTC()
	span := (24*time.Hour + 10*time.Minute) * 3000 / 1100
	ts := dcssim.SeedHistory(project, 3000, now.Add(-span), now.Add(-time.Minute))
	for i := range ts {
		switch ts[i].Name {
		case "EXTEND":
			ts[i].Params = fmt.Sprintf(`{"spec_code":"redis.ha.xu1.large.r2.%d","new_capacity":%d,"bss_param":{"is_auto_pay":true}}`, 1+i%8, 1+i%8)
		case "AddWhitelist":
			ts[i].Params = fmt.Sprintf(`{"enable_whitelist":true,"whitelist":[{"group_name":"app","ip_list":["10.0.%d.0/24"]}]}`, i%250)
		case "modify":
			ts[i].Params = `{"account_name":"default","password_changed":true}`
		}
	}
	e.sim.PutAll(project, ts)
	if _, err := e.p.Cycle(b.Context()); err != nil { // the baseline
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := e.p.Cycle(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Events) > 0 {
			b.Fatal("nothing changed, yet events")
		}
	}
}
