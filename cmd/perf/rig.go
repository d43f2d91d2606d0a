package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/prometheus/client_golang/prometheus"
)

// startNATS runs a NATS server with JetStream on a free loopback port.
func startNATS() (*server.Server, func(), error) {
	dir, err := os.MkdirTemp("", "perf-nats-*")
	if err != nil {
		return nil, nil, err
	}
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true})
	if err != nil {
		return nil, nil, err
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		return nil, nil, fmt.Errorf("nats server not ready")
	}
	return ns, func() { ns.Shutdown(); os.RemoveAll(dir) }, nil
}

// metric sums a counter or gauge family, optionally only the series with label=value.
func metric(reg *prometheus.Registry, name, label, value string) float64 {
	mfs, _ := reg.Gather()
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			if label != "" {
				for _, lp := range m.GetLabel() {
					if lp.GetName() == label && lp.GetValue() != value {
						continue series
					}
				}
			}
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// waitFor polls cond every 2 ms until it holds or the timeout passes.
func waitFor(timeout time.Duration, what string, cond func() bool) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Now(), nil
}

// stamp is a transport that records when the first request after arm was sent, and
// when the first answer after arm came to a request for the page at offset lastOffset
// (when set).
type stamp struct {
	lastOffset string
	mu         sync.Mutex
	armed      bool
	at, last   time.Time
}

func (s *stamp) arm() {
	s.mu.Lock()
	s.armed, s.at, s.last = true, time.Time{}, time.Time{}
	s.mu.Unlock()
}

func (s *stamp) first() time.Time { s.mu.Lock(); defer s.mu.Unlock(); return s.at }

func (s *stamp) lastPage() time.Time { s.mu.Lock(); defer s.mu.Unlock(); return s.last }

func (s *stamp) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	if s.armed && s.at.IsZero() {
		s.at = time.Now()
	}
	s.mu.Unlock()
	resp, err := http.DefaultTransport.RoundTrip(r)
	if s.lastOffset != "" && r.URL.Query().Get("offset") == s.lastOffset {
		s.mu.Lock()
		if s.armed && s.last.IsZero() {
			s.last = time.Now()
		}
		s.mu.Unlock()
	}
	return resp, err
}

// buildNotifier builds the binary into dir and returns its path.
func buildNotifier(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "notifier")
	args := []string{"build", "-o", bin}
	if profilePrefix != "" {
		args = append(args, "-tags", "perfprofile") // cmd/notifier/perfprofile.go
	}
	if out, err := exec.CommandContext(ctx, "go", append(args, "./cmd/notifier")...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/notifier (run from the module root): %v: %s", err, out)
	}
	return bin, nil
}
