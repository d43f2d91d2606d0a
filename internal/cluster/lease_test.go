package cluster

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"notifier/internal/testkit/natstest"
)

const ttl = 1500 * time.Millisecond

// leaders records who leads and when.
type leaders struct {
	mu      sync.Mutex
	current map[string]uint64
	terms   []uint64
	changed chan struct{}
}

func newLeaders() *leaders {
	return &leaders{current: map[string]uint64{}, changed: make(chan struct{}, 100)}
}

func (l *leaders) lead(holder string) func(context.Context, uint64) {
	return func(ctx context.Context, term uint64) {
		l.mu.Lock()
		l.current[holder] = term
		l.terms = append(l.terms, term)
		l.mu.Unlock()
		l.changed <- struct{}{}
		<-ctx.Done()
		l.mu.Lock()
		delete(l.current, holder)
		l.mu.Unlock()
		l.changed <- struct{}{}
	}
}

func (l *leaders) snapshot() map[string]uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]uint64{}
	for k, v := range l.current {
		out[k] = v
	}
	return out
}

// waitFor waits for a leadership change that makes cond true.
func (l *leaders) waitFor(t *testing.T, what string, limit time.Duration, cond func(map[string]uint64) bool) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := time.After(limit)
	for !cond(l.snapshot()) {
		select {
		case <-l.changed:
		case <-deadline:
			t.Fatalf("%s: not within %v; leaders %v", what, limit, l.snapshot())
		}
	}
	return time.Since(start)
}

type replica struct {
	name   string
	nc     *nats.Conn
	cancel context.CancelFunc
	done   chan struct{}
}

func startReplica(t *testing.T, url, name string, ls *leaders) *replica {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	kv, err := LeaseBucket(t.Context(), js, "leases", ttl, 3)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &replica{name: name, nc: nc, cancel: cancel, done: make(chan struct{})}
	l := NewLease(LeaseOptions{KV: kv, Key: "shard-0", Holder: name, TTL: ttl, Log: zerolog.Nop()})
	go func() {
		defer close(r.done)
		l.Run(ctx, ls.lead(name))
	}()
	t.Cleanup(func() { cancel(); <-r.done; nc.Close() })
	return r
}

func oneLeader(m map[string]uint64) bool { return len(m) == 1 }

func TestOneLeaderAndCleanHandover(t *testing.T) {
	c := natstest.NewCluster(t, 3)
	ls := newLeaders()
	var rs []*replica
	for i := range 3 {
		rs = append(rs, startReplica(t, c.URL(), fmt.Sprintf("r%d", i), ls))
	}
	ls.waitFor(t, "a leader", 10*time.Second, oneLeader)
	var first string
	var term uint64
	for k, v := range ls.snapshot() {
		first, term = k, v
	}
	// Two more renewal periods: still exactly one leader, the same one.
	timer := time.After(2 * ttl)
	for done := false; !done; {
		select {
		case <-ls.changed:
			if m := ls.snapshot(); len(m) != 1 || m[first] != term {
				t.Fatalf("leadership changed without cause: %v", m)
			}
		case <-timer:
			done = true
		}
	}
	for _, r := range rs {
		if r.name == first {
			r.cancel() // clean stop: releases the lease
			<-r.done
		}
	}
	took := ls.waitFor(t, "a new leader after a clean stop", 2*ttl, func(m map[string]uint64) bool {
		_, old := m[first]
		return len(m) == 1 && !old
	})
	for _, v := range ls.snapshot() {
		if v <= term {
			t.Errorf("new term %d not above the old %d", v, term)
		}
	}
	t.Logf("clean handover took %v", took)
}

func TestLeaderWithoutCleanupIsReplacedAfterTTL(t *testing.T) {
	c := natstest.NewCluster(t, 3)
	ls := newLeaders()
	rs := map[string]*replica{}
	for i := range 2 {
		r := startReplica(t, c.URL(), fmt.Sprintf("r%d", i), ls)
		rs[r.name] = r
	}
	ls.waitFor(t, "a leader", 10*time.Second, oneLeader)
	var first string
	for k := range ls.snapshot() {
		first = k
	}
	// The leader's connection dies: it cannot renew or release. It must stop leading,
	// and the other replica must take over once the TTL removes the lease.
	rs[first].nc.Close()
	took := ls.waitFor(t, "the other replica leading", 2*ttl+ttl/2, func(m map[string]uint64) bool {
		_, old := m[first]
		return len(m) == 1 && !old
	})
	t.Logf("takeover without clean-up took %v (ttl %v)", took, ttl)
}

func TestLeaseSurvivesLosingANATSNode(t *testing.T) {
	c := natstest.NewCluster(t, 3)
	ls := newLeaders()
	for i := range 2 {
		startReplica(t, c.URL(), fmt.Sprintf("r%d", i), ls)
	}
	ls.waitFor(t, "a leader", 10*time.Second, oneLeader)
	c.Stop(1)
	// Whatever happens, there is never more than one leader, and there is one again soon.
	deadline := time.After(3 * ttl)
	for {
		select {
		case <-ls.changed:
			if m := ls.snapshot(); len(m) > 1 {
				t.Fatalf("two leaders: %v", m)
			}
			continue
		case <-deadline:
		}
		break
	}
	ls.waitFor(t, "a leader with one NATS node down", 5*ttl, oneLeader)
}
