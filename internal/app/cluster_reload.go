package app

import (
	"context"
	"maps"
	"slices"
)

// A reload in nats-kv mode (App.Apply) is applied to every shard as file mode applies it
// to its one unit: a shard led now keeps the pollers of its projects whose settings did
// not change, and the workers (with their backlogs in the shard's ledger) of its receivers
// whose settings did not change; a shard not led now is built from the new configuration
// when this replica next leads it.
//
// A project removed from a shard led now stays in the shard's store, as the projects no
// longer watched that a takeover loads do (kvMode.orphans): what receivers hold for it is
// ended. A project added to it is claimed in the bucket by the shard's store
// (state.KV.AddProjects) and polled at once, when nothing is stored for it. When something
// is (it was watched before, by another configuration), only a load reads it into the
// shard's ledger: the shard gives up its lease without a drain and campaigns again, so the
// next leader (this replica or another, as after a balancer's release) loads it under a
// newer term. The other shards go on polling.
//
// A change of which shards hold a project at all (a shard gaining its first project, or
// losing its last) changes the leases the replicas campaign for and balance: it is a
// RestartError. With the default cluster.shards = 1 that is only a change from or to no
// project at all.

// apply makes every shard follow next(uc) and projects (see above). Nothing changes when
// it returns a RestartError; the bucket failing while a project is added to a shard led
// now gives that shard up as above. A poller that cannot be built (never, for a validated
// configuration) may leave the shards applied before it changed.
func (k *kvMode) apply(ctx context.Context, next func(unitConfig) unitConfig, projects []project) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	uc := next(k.uc)
	shards := splitShards(projects, len(k.shards))
	for i := range shards {
		if (len(shards[i]) == 0) != (len(k.shards[i]) == 0) {
			return &RestartError{Key: "the shards holding a project (a shard gains its first project or loses its last)"}
		}
	}
	for _, i := range slices.Sorted(maps.Keys(k.active)) {
		if err := k.applyUnit(ctx, k.active[i], uc, shards[i], k.regroup[i]); err != nil {
			return err
		}
	}
	for i := range shards {
		k.leadership[i].Projects = projectIDs(shards[i])
	}
	k.uc, k.shards = uc, shards
	k.gen++
	k.shareBudgets()
	return nil
}

// applyUnit makes u, the unit of a shard led now, poll projects as uc says. When a
// project added cannot join its store, it ends the leadership (regroup) instead.
func (k *kvMode) applyUnit(ctx context.Context, u *unit, uc unitConfig, projects []project, regroup func()) error {
	running := map[string]bool{}
	for _, p := range u.pollerList() {
		running[p.ProjectID()] = true
	}
	var added []string
	for _, p := range projects {
		if !running[p.cfg.ProjectID] {
			added = append(added, p.cfg.ProjectID)
		}
	}
	if err := u.ledger.AddProjects(ctx, added); err != nil {
		u.log.Warn().Err(err).Strs("projects", added).
			Msg("reload: a project added to the shard cannot join the state loaded; giving up the lease to load it with the next leadership")
		regroup()
		return nil
	}
	uc.log = u.log
	return u.apply(uc, projects)
}

// activate makes u the unit of shard, led now, after applying to it a reload done since
// it was built from the configuration of generation gen. regroup ends the leadership.
func (k *kvMode) activate(ctx context.Context, shard int, u *unit, gen int, regroup func()) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.gen != gen {
		if err := k.applyUnit(ctx, u, k.uc, k.shards[shard], regroup); err != nil {
			return err
		}
	}
	k.regroup[shard] = regroup
	k.setActiveLocked(shard, u)
	return nil
}

// splitShards puts each project in its shard (Shard), in order.
func splitShards(projects []project, n int) [][]project {
	out := make([][]project, n)
	for _, p := range projects {
		i := Shard(p.cfg.ProjectID, n)
		out[i] = append(out[i], p)
	}
	return out
}

// projectIDs are the projects' ids, in order; nil for none.
func projectIDs(ps []project) []string {
	if len(ps) == 0 {
		return nil
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.cfg.ProjectID
	}
	return out
}
