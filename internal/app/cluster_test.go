package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/event"
	"notifier/internal/status"
	"notifier/internal/testkit/natstest"
	ntestutil "notifier/internal/testkit/testutil"
)

const (
	kvProject = "fedcba9876543210fedcba9876543210"
	kvAK      = "CLUSTERTESTAK0000001"
	kvSK      = "cluster-test-sk-000000000000000000"
	leaseTTL  = 1500 * time.Millisecond
)

// replicaSet is several notifier replicas sharing a 3-node JetStream cluster.
type replicaSet struct {
	t       *testing.T
	c       *natstest.Cluster
	sim     *dcssim.Sim
	cfg     config.Config
	mu      sync.Mutex
	apps    []*App
	regs    []*prometheus.Registry
	cancels []context.CancelFunc
	dones   []chan struct{}
	env     map[string]string // more environment for the replicas (a receiver's secret)
}

func newReplicaSet(t *testing.T) *replicaSet {
	t.Helper()
	c := natstest.NewCluster(t, 3)
	sim := dcssim.New(dcssim.Options{AK: kvAK, SK: kvSK})
	sim.AddProject(kvProject)
	api := httptest.NewServer(sim)
	t.Cleanup(api.Close)

	cfg := config.Default()
	cfg.DCS.Projects = []config.Project{{Region: "cn-north-4", ProjectID: kvProject, Endpoint: api.URL}}
	cfg.Poll.Interval = config.Every(150 * time.Millisecond)
	cfg.Poll.ActiveInterval = config.Duration(50 * time.Millisecond)
	cfg.Poll.MaxBackoff = config.Duration(500 * time.Millisecond)
	cfg.NATS.URL = c.URL()
	cfg.NATS.JetStream = true
	cfg.State.Backend = "nats-kv"
	cfg.State.Replicas = 3
	cfg.State.LeaseTTL = config.Duration(leaseTTL)
	cfg.HTTP.Listen = ""
	cfg.Shutdown.Timeout = config.Duration(3 * time.Second)

	rs := &replicaSet{t: t, c: c, sim: sim, cfg: cfg}
	t.Cleanup(rs.stopAll)
	return rs
}

func (rs *replicaSet) start() int {
	rs.t.Helper()
	reg := prometheus.NewRegistry()
	cfg := rs.cfg
	a, err := New(&cfg, Deps{
		Log: zerolog.New(zerolog.NewTestWriter(rs.t)).Level(zerolog.WarnLevel),
		Getenv: func(k string) string {
			if v, ok := rs.env[k]; ok {
				return v
			}
			return map[string]string{"CLOUD_SDK_AK": kvAK, "CLOUD_SDK_SK": kvSK}[k]
		},
		Registry: reg,
		Version:  "test",
	})
	if err != nil {
		rs.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.Run(ctx); err != nil {
			rs.t.Errorf("Run: %v", err)
		}
		a.Close()
	}()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.apps, rs.regs = append(rs.apps, a), append(rs.regs, reg)
	rs.cancels, rs.dones = append(rs.cancels, cancel), append(rs.dones, done)
	return len(rs.apps) - 1
}

func (rs *replicaSet) stop(i int) {
	rs.cancels[i]()
	<-rs.dones[i]
}

func (rs *replicaSet) stopAll() {
	for i := range rs.cancels {
		rs.stop(i)
	}
}

// leaders returns the indexes of the replicas leading shard 0.
func (rs *replicaSet) leaders() []int {
	var out []int
	for i, a := range rs.apps {
		if st := a.mode.status(); st[0].Leader {
			out = append(out, i)
		}
	}
	return out
}

func (rs *replicaSet) waitLeader(not int, limit time.Duration) (int, time.Duration) {
	rs.t.Helper()
	start := time.Now()
	for time.Since(start) < limit {
		if l := rs.leaders(); len(l) == 1 && l[0] != not {
			return l[0], time.Since(start)
		}
		time.Sleep(10 * time.Millisecond)
	}
	rs.t.Fatalf("no single new leader within %v (leaders %v)", limit, rs.leaders())
	return -1, 0
}

func (rs *replicaSet) polls(i int) float64 {
	return testutil.ToFloat64(rs.apps[i].m.Polls.WithLabelValues(kvProject, "ok"))
}

// streamEvents reads every message of the stream: event id -> task transition. ok is
// false when the cluster could not answer (a node is down, the stream's leader moves).
func (rs *replicaSet) streamEvents() (byID map[string]string, dups []string, ok bool) {
	rs.t.Helper()
	nc, err := nats.Connect(rs.c.URL())
	if err != nil {
		return nil, nil, false
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, "DCS_TASKS")
	if err != nil {
		return nil, nil, false
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, nil, false
	}
	byID = map[string]string{}
	seen := map[string]bool{}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			return nil, nil, false
		}
		var e event.Event
		if err := json.Unmarshal(m.Data, &e); err != nil {
			rs.t.Fatal(err)
		}
		k := e.Subject + ":" + e.Data.PreviousStatus + ">" + e.Data.Status
		if seen[k] {
			dups = append(dups, k)
		}
		seen[k] = true
		byID[e.ID] = k
	}
	return byID, dups, true
}

// waitStream waits until the stream holds every transition in want, then checks there is
// nothing else and nothing twice.
func (rs *replicaSet) waitStream(want ...string) {
	rs.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		byID, dups, ok := rs.streamEvents()
		got := map[string]bool{}
		for _, k := range byID {
			got[k] = true
		}
		missing := ""
		for _, k := range want {
			if !got[k] {
				missing = k
			}
		}
		if ok && missing == "" {
			if len(dups) > 0 || len(byID) != len(want) {
				rs.t.Fatalf("stream: %d events %v, duplicates %v; want exactly %v", len(byID), byID, dups, want)
			}
			return
		}
		if time.Now().After(deadline) {
			rs.t.Fatalf("%s never reached the stream; it holds %v", missing, byID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (rs *replicaSet) put(id, name, status string) {
	rs.sim.Put(kvProject, dcssim.Task{ID: id, Name: name, Status: status, CreatedAt: time.Now().UTC()})
}

func (rs *replicaSet) set(id, status string) {
	if err := rs.sim.SetStatus(kvProject, id, status); err != nil {
		rs.t.Fatal(err)
	}
}

// waitBaseline waits for the leader's first committed poll, so that later tasks are news.
func (rs *replicaSet) waitBaseline(leader int) {
	rs.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for rs.polls(leader) == 0 {
		if time.Now().After(deadline) {
			rs.t.Fatal("the leader never polled")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestReplicasOnlyLeaderPolls(t *testing.T) {
	rs := newReplicaSet(t)
	a, b := rs.start(), rs.start()
	leader, _ := rs.waitLeader(-1, 10*time.Second)
	follower := a + b - leader
	rs.waitBaseline(leader)
	rs.put("t1", event.SwitchoverTask, "RUNNING")
	rs.waitStream("t1:>RUNNING")
	if got := rs.polls(follower); got != 0 {
		t.Errorf("the follower polled %v times; only the leader may poll", got)
	}
	// The status page of each names the same leader, read from the lease.
	lp := rs.apps[leader].StatusPage(t.Context(), time.Now())
	holder := rs.apps[leader].mode.(*kvMode).holder
	// The follower reads the lease once it has opened the lease bucket: on a loaded
	// machine that may come after the leader's first poll.
	var fp *status.Page
	ntestutil.Eventually(t, "the follower's page names the leader", func() bool {
		fp = rs.apps[follower].StatusPage(t.Context(), time.Now())
		return fp.Cluster != nil && len(fp.Cluster.Shards) > 0 && fp.Cluster.Shards[0].Leader == holder
	})
	if lp.Cluster == nil || fp.Cluster == nil {
		t.Fatal("no cluster section in nats-kv mode")
	}
	if s := lp.Cluster.Shards[0]; !s.ThisReplica || s.Leader != holder || s.Term == 0 || s.LeaseAgeSeconds == nil || *s.LeaseAgeSeconds < 0 {
		t.Errorf("the leader's page shows shard 0 as %+v", s)
	}
	if s := fp.Cluster.Shards[0]; s.ThisReplica || s.Leader != holder || s.Term != 0 || s.LeaseAgeSeconds == nil {
		t.Errorf("the follower's page shows shard 0 as %+v, want led by %s", s, holder)
	}
	if !lp.Projects[0].Polled || fp.Projects[0].Polled || len(lp.RunningTasks) != 1 || len(fp.RunningTasks) != 0 {
		t.Errorf("polled: leader %v follower %v; running tasks: leader %d follower %d",
			lp.Projects[0].Polled, fp.Projects[0].Polled, len(lp.RunningTasks), len(fp.RunningTasks))
	}
}

func TestLeaderFailover(t *testing.T) {
	for _, mode := range []string{"clean stop", "no clean-up"} {
		t.Run(mode, func(t *testing.T) {
			rs := newReplicaSet(t)
			for range 3 {
				rs.start()
			}
			leader, _ := rs.waitLeader(-1, 10*time.Second)
			rs.waitBaseline(leader)
			rs.put("a", "EXTEND", "RUNNING")
			rs.waitStream("a:>RUNNING")

			if mode == "clean stop" {
				rs.stop(leader)
			} else {
				// The leader's connection dies: no renewal, no release, no drain.
				rs.apps[leader].nc.NC().Close()
			}
			// Changes during the gap.
			rs.set("a", "SUCCESS")
			rs.put("b", event.SwitchoverTask, "RUNNING")
			next, took := rs.waitLeader(leader, 20*leaseTTL) // about one TTL; generous for a loaded machine
			t.Logf("%s: replica %d took over after %v (lease ttl %v)", mode, next, took, leaseTTL)
			// The new leader reports what changed in the gap, then follows b to its end.
			rs.waitStream("a:>RUNNING", "a:RUNNING>SUCCESS", "b:>RUNNING")
			rs.set("b", "FAILED")
			rs.waitStream("a:>RUNNING", "a:RUNNING>SUCCESS", "b:>RUNNING", "b:RUNNING>FAILED")
		})
	}
}

// TestNATSNodeRestartLosesNothing stops each NATS node in turn while tasks change.
func TestNATSNodeRestartLosesNothing(t *testing.T) {
	rs := newReplicaSet(t)
	for range 3 {
		rs.start()
	}
	leader, _ := rs.waitLeader(-1, 10*time.Second)
	rs.waitBaseline(leader)
	var want []string
	for node := range 3 {
		id := fmt.Sprintf("t%d", node)
		rs.put(id, "EXTEND", "RUNNING")
		want = append(want, id+":>RUNNING")
		rs.waitStream(want...)
		rs.c.Stop(node)
		rs.set(id, "SUCCESS")
		want = append(want, id+":RUNNING>SUCCESS")
		rs.waitStream(want...)
		rs.c.Start(node)
		rs.c.WaitReady()
	}
	// A renewal that failed while a node was down ends a leadership; one replica leads again
	// once the lease bucket has a quorum and a leader again: its raft election after the
	// third restart took longer than 3 lease TTLs (4.5s) in a loaded .ci/run, so the wait is
	// bounded as every other wait on the cluster is, not by the lease's timing.
	rs.waitLeader(-1, ntestutil.EventuallyTimeout)
}

func TestShardsSpreadProjects(t *testing.T) {
	seen := map[int]bool{}
	for i := range 64 {
		seen[Shard(fmt.Sprintf("%032x", i), 4)] = true
	}
	if len(seen) != 4 {
		t.Errorf("64 projects over 4 shards used only %d", len(seen))
	}
}

// TestShardsSplitAFleetInThirds: 1,000 project ids (as discovery finds them) over
// cluster.shards = 3 give each shard about a third, and a project's shard depends on its id
// only: discovering more projects, or listing them in another order, moves none.
func TestShardsSplitAFleetInThirds(t *testing.T) {
	count := make([]int, 3)
	first := map[string]int{}
	for i := range 1000 {
		id := fmt.Sprintf("%08x%024x", i*2654435761, i)
		s := Shard(id, 3)
		count[s]++
		first[id] = s
	}
	for s, n := range count {
		if n < 290 || n > 380 {
			t.Errorf("shard %d holds %d of 1,000 projects, want about a third", s, n)
		}
	}
	for id, s := range first {
		if Shard(id, 3) != s {
			t.Fatalf("project %s moved shards", id)
		}
	}
}
