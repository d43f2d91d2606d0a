package app

import (
	"fmt"
	"testing"

	"notifier/internal/config"
	"notifier/internal/dcs"
	"notifier/internal/metrics"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// idsInShard returns n project ids that hash into shard.
func idsInShard(shard, shards, n int) []string {
	var ids []string
	for i := 0; len(ids) < n; i++ {
		id := fmt.Sprintf("%032x", i)
		if Shard(id, shards) == shard {
			ids = append(ids, id)
		}
	}
	return ids
}

func shareTestMode(ps []project, shards int) *kvMode {
	cfg := config.Default()
	uc := unitConfig{cfg: &cfg, log: zerolog.Nop(), m: metrics.New(prometheus.NewRegistry(), "test")}
	return newKVMode(uc, nil, ps, shards)
}

// cluster.shards = 3 and two projects that hash into one shard (campaign warns "shard has
// no project" and runs no lease for the empty ones). The one replica leads every shard
// that has work, so it must have the whole dcs.max_requests_per_second ("A replica
// leading every shard has all of it"), not a third.
func TestLeaderOfEveryNonEmptyShardGetsTheWholeBudget(t *testing.T) {
	const shards = 3
	b := dcs.NewBudget(dcs.BudgetOptions{PerSecond: 10})
	var ps []project
	for _, id := range idsInShard(0, shards, 2) {
		ps = append(ps, project{cfg: config.Project{ProjectID: id, Region: "cn-north-4"}, budget: b})
	}
	k := shareTestMode(ps, shards)
	k.setActive(0, &unit{}) // this replica leads shard 0, the only one with projects
	if got := b.Limit(); got != 10 {
		t.Errorf("budget of the replica leading every shard with projects: %g requests/s, want 10", got)
	}
}

// A budget is an access key's: it is shared by the shards holding that key's projects,
// whatever the other keys' projects are. Key a has projects in shard 0 only, key b in
// shards 0 and 1: the leader of shard 0 has all of a's budget and half of b's.
func TestBudgetIsSharedByTheShardsHoldingItsKeysProjects(t *testing.T) {
	const shards = 2
	a := dcs.NewBudget(dcs.BudgetOptions{PerSecond: 10})
	b := dcs.NewBudget(dcs.BudgetOptions{PerSecond: 10})
	p := func(id string, b *dcs.Budget) project {
		return project{cfg: config.Project{ProjectID: id, Region: "cn-north-4"}, budget: b}
	}
	in0, in1 := idsInShard(0, shards, 2), idsInShard(1, shards, 1)
	k := shareTestMode([]project{p(in0[0], a), p(in0[1], b), p(in1[0], b)}, shards)
	k.setActive(0, &unit{})
	if got := a.Limit(); got != 10 {
		t.Errorf("key a, all of whose projects are in the shard led: %g requests/s, want 10", got)
	}
	if got := b.Limit(); got != 5 {
		t.Errorf("key b, in one of the two shards led: %g requests/s, want 5", got)
	}
	k.setActive(1, &unit{})
	if got := b.Limit(); got != 10 {
		t.Errorf("key b, both its shards led: %g requests/s, want 10", got)
	}
}
