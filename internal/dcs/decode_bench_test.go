package dcs_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dcs/v2/model"

	"notifier/internal/dcs"
	"notifier/internal/dcssim"
)

// pageBody is a task-center response of n finished tasks, exactly as the simulator (and
// the API) writes it.
func pageBody(tb testing.TB, n int) []byte {
	tb.Helper()
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	tasks := dcssim.SeedHistory("0123456789abcdef0123456789abcdef", n, now.Add(-24*time.Hour), now)
	b, err := json.Marshal(struct {
		TaskCount int           `json:"task_count"`
		Tasks     []dcssim.Task `json:"tasks"`
	}{n, tasks})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkDecodePage decodes a 1,000-task page with the tolerant decoder.
func BenchmarkDecodePage(b *testing.B) {
	body := pageBody(b, 1000)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := dcs.Decode(body)
		if err != nil || len(p.Tasks) != 1000 {
			b.Fatalf("%v %d", err, len(p.Tasks))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/task")
}

// BenchmarkDecodePageMaps is the reference: encoding/json into generic maps.
func BenchmarkDecodePageMaps(b *testing.B) {
	body := pageBody(b, 1000)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodePageSDK decodes the same body with the SDK's own response model, which
// fails on the API's own shapes (task_count and capacities are numbers where the model says
// string): it is reported only while it succeeds.
func BenchmarkDecodePageSDK(b *testing.B) {
	body := pageBody(b, 1000)
	var probe model.ListCenterTaskResponse
	if err := json.Unmarshal(body, &probe); err != nil {
		b.Skipf("the SDK's model cannot decode the API's body: %v", err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var r model.ListCenterTaskResponse
		if err := json.Unmarshal(body, &r); err != nil {
			b.Fatal(err)
		}
	}
}
