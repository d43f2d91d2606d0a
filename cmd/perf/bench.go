package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// benchRows reads the medians of the Go benchmarks (run with -count) from their output.
func benchRows(path string) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	vals := map[string][]float64{} // "Benchmark/unit" -> values
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		name := fields[0]
		if i := strings.LastIndex(name, "-"); i > 0 {
			name = name[:i]
		}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err == nil {
				vals[name+"/"+fields[i+1]] = append(vals[name+"/"+fields[i+1]], v)
			}
		}
	}
	med := func(key string) (float64, bool) {
		v := vals[key]
		if len(v) == 0 {
			return 0, false
		}
		sort.Float64s(v)
		return v[len(v)/2], true
	}
	var rows []row
	if ns, ok := med("BenchmarkPollUnchanged1k/ns/op"); ok {
		allocs, _ := med("BenchmarkPollUnchanged1k/allocs/task")
		rows = append(rows, row{"2. decode+diff, 1,000 unchanged tasks", "≤ 2 ms", fmt.Sprintf("%.2f ms, %.2f allocs/task", ns/1e6, allocs), ns <= 2e6})
	}
	dec, ok1 := med("BenchmarkDecodePage/ns/op")
	maps, ok2 := med("BenchmarkDecodePageMaps/ns/op")
	if ok1 && ok2 {
		what := "encoding/json into maps"
		if sdk, ok := med("BenchmarkDecodePageSDK/ns/op"); ok {
			maps, what = sdk, "the SDK's model"
		}
		rows = append(rows, row{"2. decode vs " + what, "faster", fmt.Sprintf("%.2f ms vs %.2f ms: %.1f× faster", dec/1e6, maps/1e6, maps/dec), dec < maps})
	}
	if mb, ok := med("BenchmarkStateMemory100k/MB"); ok {
		per, _ := med("BenchmarkStateMemory100k/B/task")
		rows = append(rows, row{"3. heap of 100,000 followed tasks", "≤ 50 MB", fmt.Sprintf("%.1f MB (%.0f B/task)", mb, per), mb <= 50})
	}
	if ns, ok := med("BenchmarkPublishBurst/ns/op"); ok {
		rows = append(rows, row{"4. bench: 10,000 events to core NATS (sink only)", "≤ 1 s", fmt.Sprintf("%.0f ms", ns/1e6), ns <= 1e9})
	}
	if ns, ok := med("BenchmarkPublishBurstJetStream/ns/op"); ok {
		rows = append(rows, row{"4. bench: 10,000 events to JetStream, acked (sink only)", "≤ 3 s", fmt.Sprintf("%.0f ms", ns/1e6), ns <= 3e9})
	}
	if cpu, ok := med("BenchmarkFleet1000/cpu-ms/poll"); ok {
		share, _ := med("BenchmarkFleet1000/%core@30s")
		heap, _ := med("BenchmarkFleet1000/MB-heap")
		rows = append(rows, row{"7. bench: 1,000 projects, one steady-state round (file state, no commit)", "≤ 5 % of a core at 30s",
			fmt.Sprintf("%.2f ms CPU per poll, %.2f %% of a core, heap %.0f MB", cpu, share, heap), share <= 5})
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s holds none of the expected benchmarks", path)
	}
	return rows, nil
}
