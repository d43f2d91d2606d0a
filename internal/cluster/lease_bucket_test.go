package cluster

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/diff"
	"notifier/internal/natstest"
	"notifier/internal/state"
)

// The lease bucket was created with lease_ttl = "1s"; the operator raises lease_ttl to
// "3s" (same bucket name). LeaseBucket updates the bucket's TTL to the configured one, so
// renewals every second keep the lease: two healthy replicas never take it from each
// other, and never lead at once.
func TestRaisedLeaseTTLUpdatesTheBucket(t *testing.T) {
	_, js := natstest.Connect(t, natstest.RunJetStream(t))
	if _, err := LeaseBucket(t.Context(), js, "leases", time.Second, 1); err != nil { // first deployment
		t.Fatal(err)
	}
	const newTTL = 3 * time.Second // lease_ttl raised in the config
	kv, err := LeaseBucket(t.Context(), js, "leases", newTTL, 1)
	if err != nil {
		t.Fatal(err)
	}
	st, err := kv.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.TTL() != newTTL {
		t.Errorf("bucket TTL %v, configured lease_ttl %v", st.TTL(), newTTL)
	}

	var mu sync.Mutex
	leading, maxLeading, wins := 0, 0, 0
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, name := range []string{"r0", "r1"} {
		l := NewLease(LeaseOptions{KV: kv, Key: "shard-0", Holder: name, TTL: newTTL, Log: zerolog.Nop()})
		wg.Go(func() {
			l.Run(ctx, func(c context.Context, _ uint64) {
				mu.Lock()
				leading++
				wins++
				maxLeading = max(maxLeading, leading)
				mu.Unlock()
				<-c.Done()
				mu.Lock()
				leading--
				mu.Unlock()
			})
		})
	}
	// Two lease TTLs of the new configuration: a lease that expired between renewals would
	// change hands in that time. Nothing but time can show that it does not.
	time.Sleep(2 * newTTL)
	cancel()
	wg.Wait()
	if wins != 1 || maxLeading != 1 {
		t.Errorf("leaderships won in %v by two healthy replicas: %d, most leaders at once: %d; want 1 and 1", 2*newTTL, wins, maxLeading)
	}
}

// Terms are revisions of the lease bucket's stream, which restart at 1 when that bucket is
// recreated (deleted to apply a new lease_ttl, lost with a NATS node's store, replicas
// changed) while every state key still carries the old, higher term. The recreated bucket
// is a newer epoch, and a leader of a newer epoch wins over any term of an older one: the
// new leader loads its shard, and the old one is fenced.
func TestRecreatedLeaseBucketStartsANewerEpoch(t *testing.T) {
	_, js := natstest.Connect(t, natstest.RunJetStream(t))
	ctx := t.Context()
	stateKV, err := state.OpenKVBucket(ctx, js, "dcs_notifier", 1)
	if err != nil {
		t.Fatal(err)
	}
	leases, err := LeaseBucket(ctx, js, "dcs_notifier_leases", 3*time.Second, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Some history: the lease changed hands a number of times.
	var term uint64
	for range 20 {
		if term, err = leases.Create(ctx, "shard-0", []byte("x")); err != nil {
			t.Fatal(err)
		}
		leases.Delete(ctx, "shard-0")
	}
	oldEpoch, err := Epoch(ctx, leases)
	if err != nil {
		t.Fatal(err)
	}
	old := state.NewKV(stateKV, state.KVOptions{Projects: []string{"p1"}, Term: term, Epoch: oldEpoch})
	if _, err := old.Load(ctx); err != nil {
		t.Fatal(err)
	}
	// The operator recreates the lease bucket.
	if err := js.DeleteKeyValue(ctx, "dcs_notifier_leases"); err != nil {
		t.Fatal(err)
	}
	if leases, err = LeaseBucket(ctx, js, "dcs_notifier_leases", 10*time.Second, 1); err != nil {
		t.Fatal(err)
	}
	newTerm, err := leases.Create(ctx, "shard-0", []byte("y"))
	if err != nil {
		t.Fatal(err)
	}
	newEpoch, err := Epoch(ctx, leases)
	if err != nil {
		t.Fatal(err)
	}
	if newEpoch <= oldEpoch {
		t.Fatalf("the recreated bucket's epoch %d is not above the old one's %d", newEpoch, oldEpoch)
	}
	next := state.NewKV(stateKV, state.KVOptions{Projects: []string{"p1"}, Term: newTerm, Epoch: newEpoch})
	if _, err = next.Load(ctx); err != nil {
		t.Fatalf("old term %d, new leader's lease term %d: Load: %v", old.Term(), newTerm, err)
	}
	// The old leader, paused until now, commits: fenced.
	snap := state.Empty()
	snap.Projects["p1"] = &diff.ProjectState{Tasks: map[string]diff.TaskState{"a": {Status: "RUNNING", Created: 5}}}
	if err := old.Save(ctx, snap); !errors.Is(err, state.ErrFenced) {
		t.Errorf("the old leader's commit after the takeover: %v, want ErrFenced", err)
	}
}
