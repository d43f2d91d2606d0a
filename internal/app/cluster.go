package app

import (
	"context"
	"hash/fnv"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"notifier/internal/cluster"
	"notifier/internal/retry"
	"notifier/internal/state"
)

// kvMode is the replicated backend: state in a JetStream KV bucket, and one lease per
// shard deciding which replica polls and publishes that shard's projects.
type kvMode struct {
	holder string
	shards [][]project

	mu     sync.Mutex
	status []ShardStatus
}

// ShardStatus is what /readyz says about one shard in nats-kv mode.
type ShardStatus struct {
	Shard    int      `json:"shard"`
	Leader   bool     `json:"leader"`
	Term     uint64   `json:"term,omitempty"`
	Holder   string   `json:"holder"`
	Projects []string `json:"projects"`
}

// Shard returns the shard of a project: a hash of its id, so every replica agrees
// whatever the order of the projects in its file.
func Shard(projectID string, shards int) int {
	h := fnv.New32a()
	h.Write([]byte(projectID))
	return int(h.Sum32() % uint32(shards))
}

func newKVMode(a *App) *kvMode {
	n := a.cfg.Cluster.Shards
	k := &kvMode{holder: cluster.NewHolder(), shards: make([][]project, n), status: make([]ShardStatus, n)}
	for _, p := range a.projects {
		i := Shard(p.cfg.ProjectID, n)
		k.shards[i] = append(k.shards[i], p)
		k.status[i].Projects = append(k.status[i].Projects, p.cfg.ProjectID)
	}
	for i := range k.status {
		k.status[i].Shard, k.status[i].Holder = i, k.holder
		a.m.Leader.WithLabelValues(strconv.Itoa(i), k.holder).Set(0)
		a.m.LeaderTerm.WithLabelValues(strconv.Itoa(i)).Set(0)
	}
	return k
}

func (k *kvMode) statuses() []ShardStatus {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]ShardStatus, len(k.status))
	copy(out, k.status)
	return out
}

// runKV campaigns for every shard until ctx is done, while the replicas running agree
// on the number of shards.
func (a *App) runKV(ctx context.Context) {
	stateKV, leaseKV, err := a.openBuckets(ctx)
	if err != nil {
		return // ctx done
	}
	layout := cluster.NewLayout(cluster.LayoutOptions{
		KV: leaseKV, Value: "shards=" + strconv.Itoa(len(a.kv.shards)), TTL: a.cfg.State.LeaseTTL.D(),
		Log: a.log,
	})
	layout.Run(ctx, func(ctx context.Context) { a.campaign(ctx, stateKV, leaseKV) })
}

// campaign runs one lease per shard until ctx is done.
func (a *App) campaign(ctx context.Context, stateKV, leaseKV jetstream.KeyValue) {
	var wg sync.WaitGroup
	for i, projects := range a.kv.shards {
		if len(projects) == 0 {
			a.log.Warn().Int("shard", i).Msg("shard has no project: more shards than projects")
			continue
		}
		label := strconv.Itoa(i)
		l := cluster.NewLease(cluster.LeaseOptions{
			KV: leaseKV, Key: "shard-" + label, Holder: a.kv.holder, TTL: a.cfg.State.LeaseTTL.D(),
			Log: a.log.With().Int("shard", i).Logger(),
			OnChange: func(leader bool, term uint64) {
				a.kv.mu.Lock()
				a.kv.status[i].Leader, a.kv.status[i].Term = leader, term
				a.kv.mu.Unlock()
				v := 0.0
				if leader {
					v = 1
				}
				a.m.Leader.WithLabelValues(label, a.kv.holder).Set(v)
				a.m.LeaderTerm.WithLabelValues(label).Set(float64(term))
			},
		})
		wg.Go(func() {
			l.Run(ctx, func(leadCtx context.Context, term uint64) { a.lead(ctx, leadCtx, i, term, stateKV) })
		})
	}
	wg.Wait()
}

// lead runs a shard while this replica holds its lease. Its state is loaded, and claimed
// with the term, at every takeover; a lost lease stops it at once, without the drain a
// clean stop gets, since the new leader delivers what is pending.
func (a *App) lead(ctx, leadCtx context.Context, shard int, term uint64, kv jetstream.KeyValue) {
	log := a.log.With().Int("shard", shard).Uint64("term", term).Str("holder", a.kv.holder).Logger()
	ids := make([]string, len(a.kv.shards[shard]))
	for i, p := range a.kv.shards[shard] {
		ids[i] = p.cfg.ProjectID
	}
	// A write that finds a newer term ends this leadership at once.
	leadCtx, fenced := context.WithCancel(leadCtx)
	defer fenced()
	store := state.NewKV(kv, state.KVOptions{
		Projects: ids, Term: term, MaxValue: a.nats.Conn().MaxPayload(),
		OnFenced: func() {
			log.Warn().Msg("the shard's state was written by a newer leader: stopping")
			fenced()
		},
	})
	u, err := a.newUnit(leadCtx, store, a.kv.shards[shard])
	if err != nil {
		log.Error().Err(err).Msg("cannot load the shard's state; giving up the lease")
		return
	}
	log.Info().Strs("projects", ids).Uint64("state_term", store.Term()).Msg("leading: polling this shard")
	a.setActive(shard, u)
	defer a.setActive(shard, nil)
	u.run(leadCtx, a, func() bool { return ctx.Err() != nil })
	log.Info().Msg("stopped leading this shard")
}

func (a *App) setActive(shard int, u *unit) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if u == nil {
		delete(a.active, shard)
	} else {
		a.active[shard] = u
	}
}

// openBuckets opens (or creates) the state and lease buckets, retrying while NATS is
// unreachable. It fails only when ctx is done.
func (a *App) openBuckets(ctx context.Context) (stateKV, leaseKV jetstream.KeyValue, err error) {
	js, err := jetstream.New(a.nats.Conn())
	if err != nil {
		return nil, nil, err
	}
	b := retry.New(time.Second, a.cfg.Poll.MaxBackoff.D())
	for {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		stateKV, err = state.OpenKVBucket(c, js, a.cfg.State.Bucket, a.cfg.State.Replicas)
		if err == nil {
			leaseKV, err = cluster.LeaseBucket(c, js, a.cfg.State.Bucket+"_leases", a.cfg.State.LeaseTTL.D(), a.cfg.State.Replicas)
		}
		cancel()
		if err == nil {
			return stateKV, leaseKV, nil
		}
		d := b.NextBackOff()
		a.log.Warn().Err(err).Dur("retry_in", d).Msg("cannot open the state buckets; will try again")
		if err := retry.Sleep(ctx, d); err != nil {
			return nil, nil, err
		}
	}
}
