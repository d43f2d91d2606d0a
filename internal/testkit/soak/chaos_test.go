//go:build soak

package soak

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"notifier/internal/dcssim"
)

// slack is a fake incoming webhook that fails at random while chaos is on.
type slack struct {
	chaos     atomic.Bool
	posts     atomic.Int64 // accepted (200)
	throttled atomic.Int64 // 429 with Retry-After
	failed    atomic.Int64 // 5xx
}

func (s *slack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.chaos.Load() {
		switch n := mrand.IntN(10); {
		case n == 0:
			s.throttled.Add(1)
			w.Header().Set("Retry-After", "1")
			http.Error(w, "rate_limited", http.StatusTooManyRequests)
			return
		case n == 1:
			s.failed.Add(1)
			http.Error(w, "internal_error", []int{500, 502, 503}[mrand.IntN(3)])
			return
		}
	}
	s.posts.Add(1)
	_, _ = w.Write([]byte("ok"))
}

// notifier is the real binary, run, killed and restarted on one state directory.
type notifier struct {
	t        *testing.T
	bin, cfg string
	env      []string
	logDir   string

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan error
	runs     int
	kills    int
	unwanted []string // exits nobody asked for
}

func (n *notifier) start() {
	n.t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	n.runs++
	f, err := os.Create(filepath.Join(n.logDir, fmt.Sprintf("run-%03d.log", n.runs)))
	if err != nil {
		n.t.Fatal(err)
	}
	cmd := exec.Command(n.bin, "run", "--config", n.cfg)
	cmd.Env = n.env
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); f.Close() }()
	n.cmd, n.exited = cmd, exited
}

// check notes an exit nobody asked for (a crash) and restarts the notifier.
func (n *notifier) check() {
	n.mu.Lock()
	select {
	case err := <-n.exited:
		n.unwanted = append(n.unwanted, fmt.Sprintf("run %d exited by itself: %v", n.runs, err))
		n.mu.Unlock()
		n.start()
		return
	default:
	}
	n.mu.Unlock()
}

// kill sends SIGKILL and waits for the process to go.
func (n *notifier) kill() {
	n.check()
	n.mu.Lock()
	defer n.mu.Unlock()
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.exited
	n.kills++
}

// stop sends SIGTERM and waits; the notifier must exit 0 after delivering what is pending.
func (n *notifier) stop() error {
	n.check()
	n.mu.Lock()
	defer n.mu.Unlock()
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-n.exited:
		return err
	case <-time.After(time.Minute):
		_ = n.cmd.Process.Kill()
		return fmt.Errorf("no exit within a minute of SIGTERM")
	}
}

// faults injects API faults at random, one at a time: the next one only once the last was
// consumed and the project that took it has had time to retry (request_timeout plus
// max_backoff, plus a margin). So no project is blind for longer than one fault and its
// backoff, which the workload's hold time exceeds: every transition must be seen.
type faults struct {
	sim      *dcssim.Sim
	quiet    time.Duration // least time between a fault being consumed and the next one
	injected int
	byKind   map[string]int
}

func (f *faults) run(ctx context.Context) {
	f.byKind = map[string]int{}
	kinds := []struct {
		name  string
		fault dcssim.Fault
	}{
		{"500", dcssim.Fault{Status: 500}},
		{"502", dcssim.Fault{Status: 502}},
		{"503", dcssim.Fault{Status: 503, RetryAfter: "1"}},
		{"429", dcssim.Fault{Status: 429}},
		{"429+Retry-After", dcssim.Fault{Status: 429, RetryAfter: "1"}},
		{"truncated", dcssim.Fault{Truncate: true}},
		{"html-200", dcssim.Fault{Status: 200, Body: "<html><body>maintenance</body></html>"}},
		{"slow-500ms", dcssim.Fault{Delay: 500 * time.Millisecond}},
		{"no-answer", dcssim.Fault{Delay: time.Minute}}, // ends at the client's request_timeout
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	next := time.Now().Add(f.quiet)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if f.sim.Stats().Faults < f.injected {
			next = time.Now().Add(f.quiet + mrand.N(time.Second)) // the last one is still queued
			continue
		}
		if time.Now().Before(next) {
			continue
		}
		k := kinds[mrand.IntN(len(kinds))]
		f.sim.InjectFault(k.fault)
		f.injected++
		f.byKind[k.name]++
		next = time.Now().Add(f.quiet + mrand.N(time.Second))
	}
}

// every runs fn at about period (±30 %) until ctx ends.
func every(ctx context.Context, period time.Duration, fn func()) {
	for {
		d := period*7/10 + mrand.N(period*6/10+1)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		fn()
	}
}
