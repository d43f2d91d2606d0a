package app

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/event"
	"notifier/internal/status"
	ntestutil "notifier/internal/testkit/testutil"
)

// shardProjects returns one project id per shard of n.
func shardProjects(n int) []string {
	out := make([]string, n)
	found := 0
	for i := 0; found < n; i++ {
		id := fmt.Sprintf("%032x", i+0xabc)
		if s := Shard(id, n); out[s] == "" {
			out[s] = id
			found++
		}
	}
	return out
}

// held returns how many shards each running replica leads (-1: stopped), and how many
// shards have a leader among them. A shard two replicas lead at once fails the test: the
// replicas are read in order, then again in reverse, so that a hand-over between two reads
// does not look like two leaders (it would take a hand-over back as well).
func (rs *replicaSet) held(stopped map[int]bool) ([]int, int) {
	rs.t.Helper()
	read := func(i int) []status.ShardStatus {
		if stopped[i] {
			return nil
		}
		return rs.apps[i].mode.status()
	}
	first := make([][]status.ShardStatus, len(rs.apps))
	for i := range rs.apps {
		first[i] = read(i)
	}
	second := make([][]status.ShardStatus, len(rs.apps))
	for i := len(rs.apps) - 1; i >= 0; i-- {
		second[i] = read(i)
	}
	out := make([]int, len(rs.apps))
	leaders := map[int][]int{}
	for i := range rs.apps {
		if stopped[i] {
			out[i] = -1
			continue
		}
		for s, st := range first[i] {
			if st.Leader && second[i][s].Leader {
				out[i]++
				leaders[s] = append(leaders[s], i)
			}
		}
	}
	for s, rr := range leaders {
		if len(rr) > 1 {
			rs.t.Errorf("shard %d led by replicas %v at once", s, rr)
		}
	}
	return out, len(leaders)
}

// TestThreeReplicasCarryAThirdEach: with cluster.shards = 3, a replica started alone leads
// the three shards; two more join and each ends up leading one; one stops and the two left
// share its shard; it comes back and the shards spread again. Tasks change all along, and
// every transition reaches the stream exactly once, whoever polled it.
func TestThreeReplicasCarryAThirdEach(t *testing.T) {
	rs := newReplicaSet(t)
	ids := shardProjects(3)
	rs.cfg.Cluster.Shards = 3
	rs.cfg.DCS.MaxRequestsPerSecond = 100 // three projects on one key, polled every 50 ms while active
	endpoint := rs.cfg.DCS.Projects[0].Endpoint
	rs.cfg.DCS.Projects = nil
	for _, id := range ids {
		rs.sim.AddProject(id)
		rs.cfg.DCS.Projects = append(rs.cfg.DCS.Projects, config.Project{Region: "cn-north-4", ProjectID: id, Endpoint: endpoint})
	}
	var want []string
	put := func(p int, task, status string) {
		rs.sim.Put(ids[p], dcssim.Task{ID: task, Name: event.SwitchoverTask, Status: status, CreatedAt: time.Now().UTC()})
		want = append(want, task+":>"+status)
	}
	set := func(p int, task, from, to string) {
		if err := rs.sim.SetStatus(ids[p], task, to); err != nil {
			t.Fatal(err)
		}
		want = append(want, task+":"+from+">"+to)
	}
	stopped := map[int]bool{}
	balanced := func(want ...int) func() bool {
		return func() bool {
			got, led := rs.held(stopped)
			if led != 3 {
				return false
			}
			for i := range want {
				if got[i] != want[i] {
					return false
				}
			}
			return true
		}
	}

	r0 := rs.start()
	ntestutil.Eventually(t, "r0, alone, leads the 3 shards", balanced(3))
	if got := rs.apps[r0].projects[0].budget.Limit(); got != 100 {
		t.Errorf("r0 leading every shard polls at %v a second, want the whole budget (100)", got)
	}
	ntestutil.Eventually(t, "r0 polled every project", func() bool {
		for _, id := range ids {
			if testutil.ToFloat64(rs.apps[r0].m.Polls.WithLabelValues(id, "ok")) == 0 {
				return false
			}
		}
		return true
	})
	for p := range 3 {
		put(p, fmt.Sprintf("p%d-a", p), "RUNNING")
	}
	rs.waitStream(want...)

	// Two more join: r0 gives two shards up while tasks change.
	rs.start()
	rs.start()
	for p := range 3 {
		set(p, fmt.Sprintf("p%d-a", p), "RUNNING", "SUCCESS")
		put(p, fmt.Sprintf("p%d-b", p), "RUNNING")
	}
	ntestutil.Eventually(t, "one shard each", balanced(1, 1, 1))
	// Each replica leads a third of the shards and takes a third of the key's budget.
	for i := range 3 {
		ntestutil.Eventually(t, fmt.Sprintf("replica %d polls at a third of the budget", i), func() bool {
			got := rs.apps[i].projects[0].budget.Limit()
			return got > 33.3 && got < 33.4
		})
	}
	if got := testutil.ToFloat64(rs.apps[r0].m.ClusterMembers); got != 3 {
		t.Errorf("notifier_cluster_members on r0 = %v, want 3", got)
	}
	released := 0.0
	for _, s := range []string{"0", "1", "2"} {
		released += testutil.ToFloat64(rs.apps[r0].m.LeaseReleases.WithLabelValues(s))
	}
	if released != 2 {
		t.Errorf("r0 gave up %v leases, want 2", released)
	}
	if p := rs.apps[r0].StatusPage(t.Context(), time.Now()); p.Cluster == nil || p.Cluster.Members != 3 {
		t.Errorf("status page cluster section %+v, want 3 members", p.Cluster)
	}
	rs.waitStream(want...)

	// One stops: the two left share its shard (2 + 1), and report what changed meanwhile.
	rs.stop(2)
	stopped[2] = true
	for p := range 3 {
		set(p, fmt.Sprintf("p%d-b", p), "RUNNING", "FAILED")
	}
	ntestutil.Eventually(t, "the two left lead the 3 shards", func() bool {
		got, led := rs.held(stopped)
		return led == 3 && got[0] >= 1 && got[1] >= 1
	})
	rs.waitStream(want...)

	// It comes back (a new replica): one each again.
	rs.start()
	for p := range 3 {
		put(p, fmt.Sprintf("p%d-c", p), "RUNNING")
	}
	ntestutil.Eventually(t, "one shard each again", balanced(1, 1, -1, 1))
	for p := range 3 {
		set(p, fmt.Sprintf("p%d-c", p), "RUNNING", "SUCCESS")
	}
	rs.waitStream(want...)
}
