package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/config"
	"notifier/internal/dcssim"
)

// canned answers every signed task-list request with the same page, as the API writes it,
// so that a benchmark counts the notifier's work only, not a simulator's.
type canned struct{ body []byte }

func (c canned) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "SDK-HMAC-SHA256 ") {
		return nil, fmt.Errorf("unsigned request")
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(c.body)), ContentLength: int64(len(c.body)), Request: r}, nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFleet1000 is one steady-state round of a 1,000-project fleet (five access keys,
// 300 unchanged tasks each, file state): every poller's Cycle once, through the real
// client (signing, budget, HTTP response, decode), diff and ledger. Reported: CPU per poll
// (process CPU time, so the budget's waiting is not counted), the share of one core at
// poll.interval 30s, and the heap the fleet's state holds. Run it with
// go test -run '^$' -bench Fleet1000 ./internal/app.
func BenchmarkFleet1000(b *testing.B) {
	const n, accounts = 1000, 5
	now := time.Now().UTC()
	tasks := dcssim.SeedHistory("fleet", 300, now.Add(-23*time.Hour), now.Add(-time.Minute))
	body, err := json.Marshal(struct {
		TaskCount int           `json:"task_count"`
		Tasks     []dcssim.Task `json:"tasks"`
	}{len(tasks), tasks})
	if err != nil {
		b.Fatal(err)
	}
	cfg := config.Default()
	cfg.NATS.URL, cfg.HTTP.Listen = "", ""
	cfg.State.Path = b.TempDir()
	cfg.DCS.MaxRequestsPerSecond = 10000 // the benchmark measures CPU, not the budget's pace
	env := map[string]string{}
	for i := range n {
		acct := i % accounts
		env[fmt.Sprintf("AK_%d", acct)] = fmt.Sprintf("FLEETBENCHAK%08d", acct)
		env[fmt.Sprintf("SK_%d", acct)] = fmt.Sprintf("fleet-bench-sk-%d", acct)
		cfg.DCS.Projects = append(cfg.DCS.Projects, config.Project{Region: "cn-north-4", ProjectID: fmt.Sprintf("%032x", i+1),
			AKEnv: fmt.Sprintf("AK_%d", acct), SKEnv: fmt.Sprintf("SK_%d", acct)})
	}
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	a, err := New(&cfg, Deps{Log: zerolog.Nop(), Registry: prometheus.NewRegistry(), Transport: canned{body},
		Getenv: func(k string) string { return env[k] }})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	pollers := a.mode.(*fileMode).unit.pollers
	ctx := b.Context()
	for _, p := range pollers { // the baseline
		if _, err := p.Cycle(ctx); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		for _, p := range pollers {
			if res, err := p.Cycle(ctx); err != nil || len(res.Events) > 0 {
				b.Fatalf("a steady-state poll: %v, %d events", err, len(res.Events))
			}
		}
	}
	perPoll := (cpuTime() - cpu0) / time.Duration(b.N*n)
	b.ReportMetric(float64(perPoll.Microseconds())/1000, "cpu-ms/poll")
	b.ReportMetric(float64(perPoll*n)/float64(30*time.Second)*100, "%core@30s")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "MB-heap")
}
