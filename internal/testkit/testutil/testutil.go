// Package testutil holds the small helpers the notifier's tests share: a log sink that
// several goroutines may write to while the test reads it, a wait on a condition with a
// deadline, the value of one metric series, and the path of a real program a test drives
// (Tool). It is for tests only.
package testutil

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// SyncBuffer is a bytes.Buffer that goroutines (a component's loggers, a subscriber) may
// write to while the test reads it. The zero value is ready to use.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p; it implements io.Writer.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// EventuallyTimeout is how long Eventually waits: generous, as the machines that run the
// tests are shared and slow, and a condition that holds returns at once anyway.
const EventuallyTimeout = 20 * time.Second

// Eventually polls cond every 5ms until it holds, and fails the test with what (the
// condition, in words) if it does not hold within EventuallyTimeout. Call it from the
// test's goroutine.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(EventuallyTimeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", EventuallyTimeout, what)
		}
		<-tick.C
	}
}

// Series returns the value of the series of the metric family name whose labels are
// exactly labels, and whether it exists (a counter's or a gauge's value).
func Series(t testing.TB, g prometheus.Gatherer, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; !ok || v != lp.GetValue() {
					continue next
				}
			}
			return m.GetCounter().GetValue() + m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}
