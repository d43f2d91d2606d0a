//go:build perfprofile

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
)

// Built only with -tags perfprofile (cmd/perf -run fleet -profile PREFIX): with
// NOTIFIER_PERF_PROFILE=PREFIX in its environment the process starts a CPU profile at
// SIGUSR1 and at SIGUSR2 writes it to PREFIX.cpu.pprof, with PREFIX.heap.pprof (live
// heap and allocations since start) PREFIX.goroutine.txt and PREFIX.memstats.json. The released binary has none of this.
func init() {
	prefix := os.Getenv("NOTIFIER_PERF_PROFILE")
	if prefix == "" {
		return
	}
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGUSR1, syscall.SIGUSR2)
	go func() {
		var cpu *os.File
		for sig := range ch {
			switch {
			case sig == syscall.SIGUSR1 && cpu == nil:
				f, err := os.Create(prefix + ".cpu.pprof")
				if err == nil {
					err = pprof.StartCPUProfile(f)
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, "perfprofile:", err)
					continue
				}
				cpu = f
			case sig == syscall.SIGUSR2 && cpu != nil:
				pprof.StopCPUProfile()
				_ = cpu.Close()
				cpu = nil
				if f, err := os.Create(prefix + ".heap.pprof"); err == nil {
					_ = pprof.Lookup("heap").WriteTo(f, 0)
					_ = f.Close()
				}
				if f, err := os.Create(prefix + ".goroutine.txt"); err == nil {
					_ = pprof.Lookup("goroutine").WriteTo(f, 1)
					_ = f.Close()
				}
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if b, err := json.MarshalIndent(&ms, "", " "); err == nil {
					_ = os.WriteFile(prefix+".memstats.json", b, 0o644)
				}
			}
		}
	}()
}
