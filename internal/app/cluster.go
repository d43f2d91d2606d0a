package app

import (
	"context"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"notifier/internal/cluster"
	"notifier/internal/dcs"
	"notifier/internal/logx"
	"notifier/internal/retry"
	"notifier/internal/state"
	"notifier/internal/status"
)

// kvMode is the replicated backend: state in a JetStream KV bucket, and one lease per
// shard deciding which replica polls and publishes that shard's projects.
type kvMode struct {
	nc     *nats.Conn // the App's NATS connection, which the NATS receiver publishes on too
	holder string

	mu sync.Mutex
	// uc and shards are what a shard's unit is built from when this replica next leads
	// it; a reload replaces them (apply), and gen counts the replacements.
	uc         unitConfig
	shards     [][]project
	gen        int
	leadership []status.ShardStatus
	active     map[int]*unit      // the units of the shards led now
	regroup    map[int]func()     // ends the leadership of a shard led now (apply)
	leaseKV    jetstream.KeyValue // once opened: the status page reads the leases from it
	members    int                // replicas counted by the balancer; 0 before the first count
}

// Shard returns the shard of a project: a hash of its id, so every replica agrees
// whatever the order of the projects in its file.
func Shard(projectID string, shards int) int {
	h := fnv.New32a()
	h.Write([]byte(projectID))
	return int(h.Sum32() % uint32(shards))
}

func newKVMode(uc unitConfig, nc *nats.Conn, projects []project, n int) *kvMode {
	k := &kvMode{uc: uc, nc: nc, holder: cluster.NewHolder(), shards: splitShards(projects, n),
		leadership: make([]status.ShardStatus, n), active: map[int]*unit{}, regroup: map[int]func(){}}
	for i := range k.leadership {
		if len(k.shards[i]) > 0 {
			k.leadership[i].Projects = projectIDs(k.shards[i])
		}
		k.leadership[i].Shard, k.leadership[i].Holder = i, k.holder
		uc.m.Leader.WithLabelValues(strconv.Itoa(i), k.holder).Set(0)
		uc.m.LeaderTerm.WithLabelValues(strconv.Itoa(i)).Set(0)
	}
	return k
}

// conf is the configuration the units are built from, which a reload may replace.
func (k *kvMode) conf() unitConfig {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.uc
}

func (k *kvMode) status() []status.ShardStatus {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]status.ShardStatus, len(k.leadership))
	copy(out, k.leadership)
	return out
}

func (k *kvMode) units() []*unit {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []*unit
	for _, s := range slices.Sorted(maps.Keys(k.active)) {
		out = append(out, k.active[s])
	}
	return out
}

// close has nothing to release: the buckets live on the App's NATS connection, which the
// App closes last.
func (k *kvMode) close() error { return nil }

// run campaigns for every shard until ctx is done, while the replicas running agree on
// the number of shards and the lease TTL. It returns nil: NATS being unreachable is
// waited out, not fatal.
func (k *kvMode) run(ctx context.Context) error {
	stateKV, leaseKV, err := k.openBuckets(ctx)
	if err != nil {
		return nil // ctx done
	}
	k.mu.Lock()
	k.leaseKV = leaseKV
	uc, n := k.uc, len(k.shards)
	k.mu.Unlock()
	ttl := uc.cfg.State.LeaseTTL.D()
	layout := cluster.NewLayout(cluster.LayoutOptions{
		KV: leaseKV, Value: fmt.Sprintf("shards=%d lease_ttl=%s", n, ttl), TTL: ttl,
		Log: uc.log,
		// Only the replicas of one layout run, so the bucket's TTL can be theirs.
		BeforeWork: func(ctx context.Context) error {
			js, err := jetstream.New(k.nc)
			if err != nil {
				return err
			}
			c, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			return cluster.SetTTL(c, js, leaseKV, ttl, uc.cfg.State.Replicas)
		},
	})
	layout.Run(ctx, func(ctx context.Context) { k.campaign(ctx, stateKV, leaseKV) })
	return nil
}

// campaign runs one lease per shard holding a project until ctx is done. A reload never
// changes which shards hold one (apply), so the leases stay those of the start.
func (k *kvMode) campaign(ctx context.Context, stateKV, leaseKV jetstream.KeyValue) {
	var wg sync.WaitGroup
	k.mu.Lock()
	uc, shards := k.uc, k.shards
	k.mu.Unlock()
	leases := 0
	for i, projects := range shards {
		if len(projects) == 0 {
			uc.log.Warn().Int("shard", i).Msg("shard has no project: more shards than projects")
			continue
		}
		leases++
	}
	// The balancer spreads the shards over the replicas: each aims at its fair share.
	bal := cluster.NewBalancer(cluster.BalancerOptions{
		KV: leaseKV, Holder: k.holder, TTL: uc.cfg.State.LeaseTTL.D(), Leases: leases, Log: uc.log,
		OnMembers: func(n int) {
			k.mu.Lock()
			k.members = n
			k.mu.Unlock()
			uc.m.ClusterMembers.Set(float64(n))
		},
		OnRelease: func(key string) { uc.m.LeaseReleases.WithLabelValues(strings.TrimPrefix(key, "shard-")).Inc() },
	})
	wg.Go(func() { bal.Run(ctx) })
	for i, projects := range shards {
		if len(projects) == 0 {
			continue
		}
		label := strconv.Itoa(i)
		l := cluster.NewLease(cluster.LeaseOptions{
			KV: leaseKV, Key: "shard-" + label, Holder: k.holder, TTL: uc.cfg.State.LeaseTTL.D(),
			Log: uc.log.With().Int("shard", i).Logger(),
			OnChange: func(leader bool, term uint64) {
				k.mu.Lock()
				k.leadership[i].Leader, k.leadership[i].Term = leader, term
				k.mu.Unlock()
				v := 0.0
				if leader {
					v = 1
				}
				uc.m.Leader.WithLabelValues(label, k.holder).Set(v)
				uc.m.LeaderTerm.WithLabelValues(label).Set(float64(term))
			},
			Balancer: bal,
		})
		wg.Go(func() {
			l.Run(ctx, func(leadCtx context.Context, term uint64) { k.lead(ctx, leadCtx, i, term, stateKV, leaseKV) })
		})
	}
	wg.Wait()
}

// lead runs a shard while this replica holds its lease. Its state is loaded, and claimed
// with the term, at every takeover; a lost lease stops it at once, without the drain a
// clean stop gets, since the new leader delivers what is pending.
func (k *kvMode) lead(ctx, leadCtx context.Context, shard int, term uint64, kv, leaseKV jetstream.KeyValue) {
	k.mu.Lock()
	uc, projects, gen := k.uc, k.shards[shard], k.gen
	k.mu.Unlock()
	log := uc.log.With().Int("shard", shard).Uint64("term", term).Str("holder", k.holder).Logger()
	ids := projectIDs(projects)
	// Leaders are ordered by the lease bucket's epoch, then the lease's revision (the term):
	// a recreated lease bucket restarts revisions at 1 in a newer epoch.
	epoch, err := cluster.Epoch(leadCtx, leaseKV)
	if err != nil {
		log.Error().Err(err).Msg("cannot read the lease bucket's epoch; giving up the lease")
		return
	}
	// What is delivered after leadCtx ended (the drain of a clean stop or of a lease given
	// up) stops when the lease is lost or a newer leader wrote: that leader delivers it.
	held, unheld := context.WithCancel(cluster.Held(leadCtx))
	defer unheld()
	// A write that finds a newer leader ends this leadership at once.
	leadCtx, fenced := context.WithCancel(leadCtx)
	defer fenced()
	// A reload adding a project whose stored state only a load reads ends the leadership
	// without a drain (regroup, cluster_reload.go): the next one loads it.
	leadCtx, regroup := context.WithCancel(leadCtx)
	defer regroup()
	// The shard's projects no longer watched are loaded too, not polled: their receivers
	// end what they hold for them (state.Watching), and their pending events go out.
	store := state.NewKV(kv, state.KVOptions{
		Projects: slices.Concat(ids, k.orphans(leadCtx, kv, shard, uc.everyProject, log)), Term: term, Epoch: epoch, MaxValue: k.nc.MaxPayload(),
		OnFenced: func() {
			log.Warn().Msg("the shard's state was written by a newer leader: stopping")
			fenced()
			unheld()
		},
	})
	uc.log = log
	u, err := uc.newUnit(leadCtx, store, projects)
	if err != nil {
		log.Error().Err(err).Msg("cannot load the shard's state; giving up the lease")
		return
	}
	if err := k.activate(leadCtx, shard, u, gen, regroup); err != nil {
		log.Error().Err(err).Msg("cannot apply the reloaded configuration to the shard; giving up the lease")
		return
	}
	log.Info().Strs("projects", ids).Int64("epoch", epoch).Msg("leading: polling this shard")
	defer k.setActive(shard, nil)
	// A lease given up to balance the shards stops like a clean stop: what is pending is
	// delivered and saved while the lease is still held, then the next leader goes on.
	u.run(leadCtx, held, func() bool { return ctx.Err() != nil || cluster.Released(leadCtx) })
	log.Info().Msg("stopped leading this shard")
}

// orphans are the projects with a state key in the bucket that are no longer watched
// (removed from the config, or no longer discovered) and hash into shard: only its
// leaders ever write their keys. None when a discovery listing failed, since a project may
// then be missing by chance. A project that hashes into a shard without a project has no
// leader to end what its receivers hold.
func (k *kvMode) orphans(ctx context.Context, kv jetstream.KeyValue, shard int, everyProject bool, log zerolog.Logger) []string {
	if !everyProject {
		return nil
	}
	stored, err := state.StoredProjects(ctx, kv)
	if err != nil {
		log.Warn().Err(err).Msg("cannot list the projects in the state bucket: what receivers hold for projects no longer watched is ended at the next takeover")
		return nil
	}
	watched := map[string]bool{}
	k.mu.Lock()
	n := len(k.shards)
	for _, ps := range k.shards {
		for _, p := range ps {
			watched[p.cfg.ProjectID] = true
		}
	}
	k.mu.Unlock()
	var out []string
	for _, id := range stored {
		if !watched[id] && Shard(id, n) == shard {
			out = append(out, id)
		}
	}
	return out
}

func (k *kvMode) setActive(shard int, u *unit) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.setActiveLocked(shard, u)
}

// setActiveLocked makes u the unit of shard, nil when it is no longer led (k.mu held).
func (k *kvMode) setActiveLocked(shard int, u *unit) {
	if u == nil {
		delete(k.active, shard)
		delete(k.regroup, shard)
	} else {
		k.active[shard] = u
	}
	k.shareBudgets()
}

// shareBudgets gives each access key's budget the part of the shards holding that key's
// projects that this replica leads (k.mu held): the replicas together stay within
// dcs.max_requests_per_second, since no shard is led by two. Shards without a project of
// the key (none at all, or only other keys') take no part: a replica leading every shard
// that holds a key's projects has all of its budget. Only the shards' polls use the
// budgets, so a key with no shard led does not matter.
func (k *kvMode) shareBudgets() {
	if len(k.shards) <= 1 {
		return
	}
	holding := map[*dcs.Budget]int{} // shards holding a project of the key
	led := map[*dcs.Budget]int{}     // of those, the shards this replica leads
	for i, ps := range k.shards {
		seen := map[*dcs.Budget]bool{}
		for _, p := range ps {
			if p.budget == nil || seen[p.budget] {
				continue
			}
			seen[p.budget] = true
			holding[p.budget]++
			if k.active[i] != nil {
				led[p.budget]++
			}
		}
	}
	for b, n := range holding {
		b.SetShare(float64(max(led[b], 1)) / float64(n))
	}
}

// openBuckets opens (or creates) the state and lease buckets, retrying while NATS is
// unreachable. It fails only when ctx is done.
func (k *kvMode) openBuckets(ctx context.Context) (stateKV, leaseKV jetstream.KeyValue, err error) {
	js, err := jetstream.New(k.nc)
	if err != nil {
		return nil, nil, err
	}
	uc := k.conf()
	st := uc.cfg.State
	b := retry.New(time.Second, uc.cfg.Poll.MaxBackoff.D())
	for {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		stateKV, err = state.OpenKVBucket(c, js, st.Bucket, st.Replicas)
		if err == nil {
			leaseKV, err = cluster.LeaseBucket(c, js, st.Bucket+"_leases", st.LeaseTTL.D(), st.Replicas)
		}
		cancel()
		if err == nil {
			return stateKV, leaseKV, nil
		}
		d := b.NextBackOff()
		uc.log.Warn().Err(err).Dur("retry_in", logx.Round(d)).Msg("cannot open the state buckets; will try again")
		if err := retry.Sleep(ctx, d); err != nil {
			return nil, nil, err
		}
	}
}
