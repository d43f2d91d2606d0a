package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"notifier/internal/dcssim"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat (100 on Linux).
const clockTicks = 100

// measureIdle (figure 6): the real binary, one project, interval 30s, for d: its resident
// memory and CPU time from /proc.
func measureIdle(ctx context.Context, d time.Duration) ([]row, error) {
	dir, err := os.MkdirTemp("", "perf-idle-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin, err := buildNotifier(ctx, dir)
	if err != nil {
		return nil, err
	}
	ns, stop, err := startNATS()
	if err != nil {
		return nil, err
	}
	defer stop()
	sim := dcssim.New(dcssim.Options{AK: ak, SK: sk})
	now := time.Now().UTC()
	sim.PutAll(project, dcssim.SeedHistory(project, 300, now.Add(-23*time.Hour), now.Add(-time.Minute)))
	api := httptest.NewServer(sim)
	defer api.Close()
	cfg := fmt.Sprintf(`[[dcs.projects]]
region = "cn-north-4"
project_id = %q
endpoint = %q

[poll]
interval = "30s"

[state]
path = %q

[nats]
url = %q

[http]
listen = ""

[log]
level = "warn"
`, project, api.URL, filepath.Join(dir, "state"), ns.ClientURL())
	cfgPath := filepath.Join(dir, "notifier.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "run", "--config", cfgPath)
	cmd.Env = append(os.Environ(), "CLOUD_SDK_AK="+ak, "CLOUD_SDK_SK="+sk)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	pid := cmd.Process.Pid
	if _, err := waitFor(20*time.Second, "the first poll", func() bool { return sim.Requests(project) > 0 }); err != nil {
		return nil, err
	}
	time.Sleep(2 * time.Second) // start-up is not idle
	cpu0, err := cpuTicks(pid)
	if err != nil {
		return nil, err
	}
	req0, t0 := sim.Requests(project), time.Now()
	maxRSS := 0
	for deadline := t0.Add(d); time.Now().Before(deadline); {
		time.Sleep(min(time.Second, time.Until(deadline)))
		rss, err := rssKB(pid)
		if err != nil {
			return nil, fmt.Errorf("the notifier exited: %w", err)
		}
		maxRSS = max(maxRSS, rss)
	}
	cpu1, err := cpuTicks(pid)
	if err != nil {
		return nil, err
	}
	wall := time.Since(t0)
	pct := float64(cpu1-cpu0) / clockTicks / wall.Seconds() * 100
	mb := float64(maxRSS) / 1024
	return []row{
		{fmt.Sprintf("6. idle RSS (binary, 1 project, interval 30s, %v)", d.Round(time.Second)), "≤ 30 MB", fmt.Sprintf("%.1f MB (max VmRSS)", mb), mb <= 30},
		{"6. idle CPU over the same time", "≤ 0.5 %", fmt.Sprintf("%.3f %% (%d polls)", pct, sim.Requests(project)-req0), pct <= 0.5},
	}, nil
}

func cpuTicks(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, err1 := strconv.Atoi(f[11]) // field 14 of stat(5)
	stime, err2 := strconv.Atoi(f[12]) // field 15
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	return utime + stime, nil
}

func rssKB(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}
