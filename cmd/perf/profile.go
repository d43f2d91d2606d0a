package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"
)

// allocated is what this process has allocated so far (bytes, objects): like cpuTime,
// steadier than time on a shared machine.
func allocated() (bytes, objects uint64) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc, m.Mallocs
}

// cpuTime is the CPU (user + system) this process has used so far: the simulator, the
// NATS server and the notifier together. On a shared machine it varies far less than
// wall time between runs of the same code.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// sysTime is the system part of cpuTime.
func sysTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Stime.Nano())
}

// numGC is how many garbage collections this process has completed.
func numGC() uint32 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.NumGC
}

// profilePrefix, when set (-profile), names the profiles written around a measured span.
var profilePrefix string

// startProfiles starts a CPU profile and block and mutex sampling for one measured span;
// the returned func stops them and writes PREFIX-name.{cpu,block,mutex}.pprof, and the
// allocations before and after the span (PREFIX-name.allocs{0,1}.pprof: read them with
// go tool pprof -sample_index=alloc_space -diff_base allocs0 allocs1). Without -profile
// both do nothing.
func startProfiles(name string) (func() error, error) {
	if profilePrefix == "" {
		return func() error { return nil }, nil
	}
	base := fmt.Sprintf("%s-%s", profilePrefix, name)
	if err := writeProfile("allocs", base+".allocs0.pprof"); err != nil {
		return nil, err
	}
	f, err := os.Create(base + ".cpu.pprof")
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	runtime.SetBlockProfileRate(10_000) // one sample per 10 µs blocked
	runtime.SetMutexProfileFraction(10)
	return func() error {
		pprof.StopCPUProfile()
		runtime.SetBlockProfileRate(0)
		runtime.SetMutexProfileFraction(0)
		if err := f.Close(); err != nil {
			return err
		}
		for _, kind := range []string{"block", "mutex"} {
			if err := writeProfile(kind, base+"."+kind+".pprof"); err != nil {
				return err
			}
		}
		return writeProfile("allocs", base+".allocs1.pprof")
	}, nil
}

func writeProfile(kind, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup(kind).WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
