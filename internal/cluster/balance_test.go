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
	"notifier/internal/testkit/testutil"
)

func TestFairShare(t *testing.T) {
	for _, tc := range []struct{ n, members, want int }{
		{3, 3, 1}, {3, 2, 2}, {3, 1, 3}, {3, 4, 1}, {4, 3, 2}, {1, 3, 1}, {3, 0, 3},
	} {
		if got := FairShare(tc.n, tc.members); got != tc.want {
			t.Errorf("FairShare(%d, %d) = %d, want %d", tc.n, tc.members, got, tc.want)
		}
	}
}

// A replica above its fair share gives one lease up only once it has seen the excess twice
// running, and then at most one per TTL.
func TestBalancerReleasesOnePerTTLAfterSeeingTheExcessTwice(t *testing.T) {
	clock := testutil.NewClock(time.Unix(1e9, 0))
	b := NewBalancer(BalancerOptions{Holder: "r0", TTL: 3 * time.Second, Leases: 3, Log: zerolog.Nop()})
	b.now = clock.Now
	for _, k := range []string{"shard-0", "shard-1", "shard-2"} {
		b.won(k)
	}
	if got := b.decide(1); got != "" {
		t.Fatalf("alone with 3 of 3: released %s", got)
	}
	if got := b.decide(3); got != "" {
		t.Fatalf("released %s at the first sight of 3 members", got)
	}
	if got := b.decide(3); got != "shard-2" {
		t.Fatalf("second sight of 3 members: released %q, want shard-2", got)
	}
	// Still holding 3 (the release is under way): nothing more within a TTL.
	clock.Add(2 * time.Second)
	for range 3 {
		if got := b.decide(3); got != "" {
			t.Fatalf("released %s again within a TTL", got)
		}
	}
	b.let("shard-2")
	clock.Add(3 * time.Second)
	if got := b.decide(3); got != "shard-1" {
		t.Fatalf("a TTL later, holding 2 of fair 1: released %q, want shard-1", got)
	}
	b.let("shard-1")
	b.decide(3)
	clock.Add(time.Hour)
	if got := b.decide(3); got != "" {
		t.Fatalf("at the fair share: released %s", got)
	}
}

// shardLog records who leads each shard, and any moment two replicas lead one.
type shardLog struct {
	mu       sync.Mutex
	leader   map[string]string // lease key -> holder
	overlaps []string
	released int // leaderships ended by the balancer
}

func (s *shardLog) lead(holder, key string) func(context.Context, uint64) {
	return func(ctx context.Context, _ uint64) {
		s.mu.Lock()
		if other, ok := s.leader[key]; ok {
			s.overlaps = append(s.overlaps, fmt.Sprintf("%s led by %s and %s", key, other, holder))
		}
		s.leader[key] = holder
		s.mu.Unlock()
		<-ctx.Done()
		s.mu.Lock()
		delete(s.leader, key)
		if Released(ctx) {
			s.released++
		}
		s.mu.Unlock()
	}
}

// counts returns how many shards each holder leads, and how many shards have a leader.
func (s *shardLog) counts() (map[string]int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, h := range s.leader {
		out[h]++
	}
	return out, len(s.leader)
}

func (s *shardLog) holds(want map[string]int) func() bool {
	return func() bool {
		got, _ := s.counts()
		if len(got) != len(want) {
			return false
		}
		for h, n := range want {
			if got[h] != n {
				return false
			}
		}
		return true
	}
}

// startBalanced runs one replica: a balancer and a lease for each of n shards (none: a
// member that never campaigns). It stops when the returned function is called; closing
// the returned connection makes it die without cleaning up.
func startBalanced(t *testing.T, url, name string, n int, campaign bool, log *shardLog) (func(), *nats.Conn) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	kv, err := LeaseBucket(t.Context(), js, "leases", ttl, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	bal := NewBalancer(BalancerOptions{KV: kv, Holder: name, TTL: ttl, Leases: n, Log: zerolog.New(zerolog.NewTestWriter(t)).With().Str("r", name).Logger()})
	var wg sync.WaitGroup
	wg.Go(func() { bal.Run(ctx) })
	for i := range n {
		if !campaign {
			break
		}
		key := fmt.Sprintf("shard-%d", i)
		l := NewLease(LeaseOptions{KV: kv, Key: key, Holder: name, TTL: ttl, Log: zerolog.Nop(), Balancer: bal})
		wg.Go(func() { l.Run(ctx, log.lead(name, key)) })
	}
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); wg.Wait(); nc.Close() }) }
	t.Cleanup(stop)
	return stop, nc
}

// Three replicas and three shards: each ends up leading one, whoever started first; one
// stopping leaves 2 + 1; a new one brings back 1 + 1 + 1; no shard ever has two leaders.
func TestThreeReplicasLeadAThirdEach(t *testing.T) {
	srv := natstest.RunJetStream(t)
	log := &shardLog{leader: map[string]string{}}
	startBalanced(t, srv.ClientURL(), "r0", 3, true, log)
	testutil.Eventually(t, "r0, alone, leads the 3 shards", log.holds(map[string]int{"r0": 3}))
	startBalanced(t, srv.ClientURL(), "r1", 3, true, log)
	stop2, _ := startBalanced(t, srv.ClientURL(), "r2", 3, true, log)
	testutil.Eventually(t, "one shard each", log.holds(map[string]int{"r0": 1, "r1": 1, "r2": 1}))
	log.mu.Lock()
	if log.released != 2 {
		t.Errorf("r0 gave up %d leases cleanly, want 2", log.released)
	}
	log.mu.Unlock()

	stop2()
	testutil.Eventually(t, "r0 and r1 share r2's shard (2 + 1)", func() bool {
		got, led := log.counts()
		return led == 3 && len(got) == 2 && got["r0"]+got["r1"] == 3 && got["r0"] >= 1 && got["r1"] >= 1
	})
	startBalanced(t, srv.ClientURL(), "r3", 3, true, log)
	testutil.Eventually(t, "one shard each again", log.holds(map[string]int{"r0": 1, "r1": 1, "r3": 1}))

	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.overlaps) > 0 {
		t.Errorf("shards with two leaders at once: %v", log.overlaps)
	}
}

// Members that never take a lease (replicas that count themselves but cannot lead, or a
// count that disagrees) leave no shard without a leader: past the grace period a replica
// at its fair share takes the free ones.
func TestAFreeShardIsTakenAboveTheFairShareAfterTheGrace(t *testing.T) {
	srv := natstest.RunJetStream(t)
	log := &shardLog{leader: map[string]string{}}
	startBalanced(t, srv.ClientURL(), "ghost1", 3, false, log)
	startBalanced(t, srv.ClientURL(), "ghost2", 3, false, log)
	startBalanced(t, srv.ClientURL(), "r0", 3, true, log)
	testutil.Eventually(t, "r0 leads every shard, above its fair share of 1", log.holds(map[string]int{"r0": 3}))
}

// A lease taken above the fair share because nobody took it for the grace period (a
// member counts itself but does not lead) is kept: given up, it would come back after
// another grace period and stay unpolled meanwhile. Once the member count changes, the
// balancer gives leases up again.
func TestBalancerKeepsALeaseNobodyTook(t *testing.T) {
	clock := testutil.NewClock(time.Unix(1e9, 0))
	const ttl = 3 * time.Second
	b := NewBalancer(BalancerOptions{Holder: "r0", TTL: ttl, Leases: 3, Log: zerolog.Nop()})
	b.now = clock.Now
	b.decide(3)
	free := func() (bool, error) { return true, nil }
	if !b.admit("shard-0", free) {
		t.Fatal("below the fair share: not admitted")
	}
	b.won("shard-0")
	if b.admit("shard-1", free) {
		t.Fatal("at the fair share, shard-1 just seen free: admitted")
	}
	clock.Add(2*ttl - time.Millisecond)
	if b.admit("shard-1", free) {
		t.Fatal("admitted before the grace period")
	}
	clock.Add(time.Millisecond)
	if !b.admit("shard-1", free) {
		t.Fatal("shard-1 free for the grace period: not admitted")
	}
	b.won("shard-1")
	for range 20 { // 20 rounds of a third of the TTL
		if got := b.decide(3); got != "" {
			t.Fatalf("gave up %s, taken because nobody took it, with the same members", got)
		}
		clock.Add(ttl / 3)
	}
	b.decide(4) // a new member: the excess goes again
	clock.Add(ttl)
	if got := b.decide(4); got != "shard-1" {
		t.Fatalf("with a new member count: gave up %q, want shard-1", got)
	}
}

// A replica that dies without cleaning up (its connection gone: no member key deleted, no
// lease released) leaves its shard to the two left once its lease and member key expire.
func TestADeadReplicasShardIsTakenOver(t *testing.T) {
	srv := natstest.RunJetStream(t)
	log := &shardLog{leader: map[string]string{}}
	for _, name := range []string{"r0", "r1"} {
		startBalanced(t, srv.ClientURL(), name, 3, true, log)
	}
	_, nc := startBalanced(t, srv.ClientURL(), "r2", 3, true, log)
	testutil.Eventually(t, "one shard each", log.holds(map[string]int{"r0": 1, "r1": 1, "r2": 1}))
	nc.Close()
	testutil.Eventually(t, "r0 and r1 lead the 3 shards (2 + 1)", func() bool {
		log.mu.Lock()
		defer log.mu.Unlock()
		n := map[string]int{}
		for _, h := range log.leader {
			n[h]++
		}
		return n["r0"]+n["r1"] == 3 && n["r0"] >= 1 && n["r1"] >= 1
	})
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.overlaps) > 0 {
		t.Errorf("shards with two leaders at once: %v", log.overlaps)
	}
}
