package cluster

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"notifier/internal/diff"
	"notifier/internal/state"
	"notifier/internal/testkit/natstest"
)

// leadLog counts leaderships and the most replicas leading at once.
type leadLog struct {
	mu            sync.Mutex
	leading, most int
	wins          map[string]int
	won           chan string
}

func (g *leadLog) lead(name string) func(context.Context, uint64) {
	return func(c context.Context, _ uint64) {
		g.mu.Lock()
		g.leading++
		g.wins[name]++
		g.most = max(g.most, g.leading)
		g.mu.Unlock()
		g.won <- name
		<-c.Done()
		g.mu.Lock()
		g.leading--
		g.mu.Unlock()
	}
}

// startLayoutReplica runs one replica of a layout of the given lease TTL: the layout, then the
// lease of shard-0 under it. It stops when the returned function is called.
func startLayoutReplica(t *testing.T, js jetstream.JetStream, kv jetstream.KeyValue, name string, ttl time.Duration, g *leadLog, waiting chan string) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	layout := NewLayout(LayoutOptions{
		KV: kv, Value: "shards=1 lease_ttl=" + ttl.String(), TTL: ttl, Log: zerolog.Nop(),
		OnWait:     func(string) { waiting <- name },
		BeforeWork: func(ctx context.Context) error { return SetTTL(ctx, js, kv, ttl, 1) },
	})
	lease := NewLease(LeaseOptions{KV: kv, Key: "shard-0", Holder: name, TTL: ttl, Log: zerolog.Nop()})
	done := make(chan struct{})
	go func() {
		defer close(done)
		layout.Run(ctx, func(ctx context.Context) { lease.Run(ctx, g.lead(name)) })
	}()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

// A rolling change of lease_ttl, up or down. Renewals are paced by the bucket's TTL, so the
// two settings must never lead side by side: the replica with the new lease_ttl waits while
// one with the old runs, then sets the bucket's TTL to its own and leads; and two healthy
// replicas of the new setting never take the lease from each other.
func TestLeaseTTLChangeWaitsForTheOldSetting(t *testing.T) {
	for _, tc := range []struct {
		name     string
		old, new time.Duration
	}{
		{"raised", 500 * time.Millisecond, 1500 * time.Millisecond},
		{"lowered", 1500 * time.Millisecond, 500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, js := natstest.Connect(t, natstest.RunJetStream(t))
			kv, err := LeaseBucket(t.Context(), js, "leases", tc.old, 1) // first deployment
			if err != nil {
				t.Fatal(err)
			}
			g := &leadLog{wins: map[string]int{}, won: make(chan string, 10)}
			waiting := make(chan string, 10)
			expect := func(want string) {
				t.Helper()
				select {
				case got := <-g.won:
					if got != want {
						t.Fatalf("%s leads, want %s", got, want)
					}
				case <-time.After(10 * max(tc.old, tc.new)):
					t.Fatalf("%s never led", want)
				}
			}
			stopOld := startLayoutReplica(t, js, kv, "old", tc.old, g, waiting)
			expect("old")
			startLayoutReplica(t, js, kv, "new", tc.new, g, waiting)
			if got := <-waiting; got != "new" {
				t.Fatalf("%s waits, want new", got)
			}
			// Nothing but time can show that the new setting keeps waiting: two of the
			// old lease's TTLs.
			time.Sleep(2 * tc.old)
			stopOld()
			expect("new")
			st, err := kv.Status(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if st.TTL() != tc.new {
				t.Errorf("bucket TTL %v after the change, want %v", st.TTL(), tc.new)
			}
			startLayoutReplica(t, js, kv, "new2", tc.new, g, waiting)
			time.Sleep(2 * tc.new) // two TTLs: a lease expiring between renewals would move
			g.mu.Lock()
			defer g.mu.Unlock()
			if g.most != 1 || g.wins["new"] != 1 || g.wins["new2"] != 0 {
				t.Errorf("most leaders at once %d, leaderships %v: want 1, and new leading throughout", g.most, g.wins)
			}
		})
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
	snap.Projects["p1"] = &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{"a": {Status: "RUNNING", Created: 5}})}
	if err := old.Save(ctx, snap); !errors.Is(err, state.ErrFenced) {
		t.Errorf("the old leader's commit after the takeover: %v, want ErrFenced", err)
	}
}
