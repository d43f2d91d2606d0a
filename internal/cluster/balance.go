package cluster

import (
	"context"
	"errors"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
)

// memberPrefix starts the key, in the lease bucket, by which a replica says it runs.
const memberPrefix = "member."

// ErrReleased is the cause of a lead context cancelled because the balancer gave the lease
// up: the work should stop cleanly (deliver what is pending, save) before the lease goes.
var ErrReleased = errors.New("lease released to balance the shards")

// Released reports whether ctx, a lead context, ended because its lease is being given up
// to another replica (and not lost, nor stopped with the process).
func Released(ctx context.Context) bool { return errors.Is(context.Cause(ctx), ErrReleased) }

// FairShare is how many leases one of members replicas should hold out of n: n/members,
// rounded up, so that every lease has a holder.
func FairShare(n, members int) int {
	if members < 1 {
		return n
	}
	return (n + members - 1) / members
}

// Balancer spreads the leases of a lease bucket over the replicas campaigning for them.
// Each replica announces itself with a member key that it refreshes like a lease and that
// the bucket's TTL removes once it stops; from the live members it computes its fair share.
// A replica below its share takes free leases at once; one at or above it takes a free
// lease only when the lease has stayed free for a grace period (two TTLs), so no shard is
// left without a leader while replicas count members differently; one above its share
// gives up a lease, at most one per TTL, after seeing the excess twice running.
type Balancer struct {
	kv        jetstream.KeyValue
	holder    string
	key       string
	ttl       time.Duration
	n         int
	log       zerolog.Logger
	onMembers func(members int)
	onRelease func(key string)
	now       func() time.Time
	ready     chan struct{}

	mu          sync.Mutex
	members     int                      // live members counted last; 0 before the first count
	held        map[string]bool          // leases won (true) or being campaigned for (false)
	freeSince   map[string]time.Time     // when a lease this replica may not take was first seen free
	release     map[string]chan struct{} // told to give a lease up
	over        int                      // rounds running above the fair share
	nextRelease time.Time                // no lease is given up before
	lastRelease time.Time
	quiet       time.Duration // how long after taking a lease nobody took none is given up
}

// BalancerOptions are what a Balancer is built from.
type BalancerOptions struct {
	KV     jetstream.KeyValue // the lease bucket
	Holder string             // who we are, as in LeaseOptions
	TTL    time.Duration      // the bucket's TTL
	Leases int                // how many leases the replicas campaign for
	Log    zerolog.Logger
	// OnMembers, when set, is told the number of live members at every count.
	OnMembers func(members int)
	// OnRelease, when set, is told every lease given up.
	OnRelease func(key string)
}

// NewBalancer returns a Balancer; pass it to the LeaseOptions of each lease and Run it.
func NewBalancer(o BalancerOptions) *Balancer {
	if o.OnMembers == nil {
		o.OnMembers = func(int) {}
	}
	if o.OnRelease == nil {
		o.OnRelease = func(string) {}
	}
	return &Balancer{kv: o.KV, holder: o.Holder, key: memberKey(o.Holder), ttl: o.TTL, n: o.Leases,
		log: o.Log, onMembers: o.OnMembers, onRelease: o.OnRelease, now: time.Now,
		ready: make(chan struct{}), held: map[string]bool{}, freeSince: map[string]time.Time{},
		release: map[string]chan struct{}{}}
}

var badKeyChars = regexp.MustCompile(`[^-_=a-zA-Z0-9]`)

// memberKey is the member key of holder, made of the characters a KV key allows.
func memberKey(holder string) string { return memberPrefix + badKeyChars.ReplaceAllString(holder, "_") }

// Run announces this replica and balances its leases until ctx is done, then withdraws
// the announcement so the other replicas count one member less at once.
func (b *Balancer) Run(ctx context.Context) {
	every := b.ttl / 3
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		b.round(ctx, every)
		select {
		case <-ctx.Done():
			c, cancel := context.WithTimeout(context.Background(), every)
			defer cancel()
			_ = b.kv.Delete(c, b.key)
			return
		case <-t.C:
		}
	}
}

// round refreshes the member key, counts the members and gives up a lease if this
// replica holds too many.
func (b *Balancer) round(ctx context.Context, timeout time.Duration) {
	c, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	members, err := b.count(c)
	select {
	case <-b.ready:
	default:
		defer close(b.ready)
	}
	if err != nil {
		if ctx.Err() == nil {
			b.log.Debug().Err(err).Msg("balancer: cannot count the replicas; keeping the last count")
		}
		b.mu.Lock()
		b.members = max(b.members, 1)
		b.mu.Unlock()
		return
	}
	b.onMembers(members)
	if key := b.decide(members); key != "" {
		b.onRelease(key)
		b.mu.Lock()
		ch := b.releaseChan(key)
		b.mu.Unlock()
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// count refreshes our member key and returns how many member keys live, ours included.
func (b *Balancer) count(ctx context.Context) (int, error) {
	if _, err := b.kv.Put(ctx, b.key, []byte(b.holder)); err != nil {
		return 0, err
	}
	l, err := b.kv.ListKeysFiltered(ctx, memberPrefix+">")
	if err != nil {
		return 0, err
	}
	defer l.Stop()
	n := 0
	for range l.Keys() {
		n++
	}
	return max(n, 1), nil
}

// decide records the member count and returns the lease to give up now, if any.
func (b *Balancer) decide(members int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if members != b.members {
		b.log.Info().Int("replicas", members).Int("fair_share", FairShare(b.n, members)).Int("shards", b.n).
			Msg("cluster members changed")
		b.members, b.over = members, 0
		// Another count: what held for the last one (see admit) no longer does.
		b.quiet = 0
		if last := b.lastRelease.Add(b.ttl); b.nextRelease.After(last) {
			b.nextRelease = last
		}
	}
	var won []string
	for k, ok := range b.held {
		if ok {
			won = append(won, k)
		}
	}
	// Only leases won count: one being campaigned for past the grace may still be lost.
	fair := FairShare(b.n, members)
	if len(won) <= fair {
		b.over = 0
		return ""
	}
	// Hysteresis: the excess must be seen twice running with the same member count (a
	// replica just starting, or one just stopped, moves nothing yet); and at most one
	// lease goes per TTL, with jitter, so the others take it before the next goes.
	b.over++
	now := b.now()
	if b.over < 2 || now.Before(b.nextRelease) {
		return ""
	}
	b.over, b.lastRelease = 0, now
	b.nextRelease = now.Add(b.ttl + rand.N(b.ttl/3+1))
	slices.Sort(won)
	key := won[len(won)-1]
	b.log.Info().Str("lease", key).Int("holding", len(won)).Int("fair_share", fair).Int("replicas", members).
		Msgf("releasing %s of %d: holding %d, fair share %d of %d replicas", strings.Replace(key, "-", " ", 1), b.n, len(won), fair, members)
	return key
}

func (b *Balancer) releaseChan(key string) chan struct{} {
	ch, ok := b.release[key]
	if !ok {
		ch = make(chan struct{}, 1)
		b.release[key] = ch
	}
	return ch
}

// admit reports whether this replica may campaign for key now: below its fair share, or
// key has been seen free (by probe) for longer than two TTLs. Admitted, key counts as
// held until let.
func (b *Balancer) admit(key string, probe func() (free bool, err error)) bool {
	b.mu.Lock()
	if len(b.held) < FairShare(b.n, b.members) {
		b.held[key] = false
		delete(b.freeSince, key)
		b.mu.Unlock()
		return true
	}
	b.mu.Unlock()
	free, err := probe()
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil || !free {
		delete(b.freeSince, key)
		return false
	}
	now := b.now()
	since, ok := b.freeSince[key]
	if !ok {
		b.freeSince[key] = now
		return false
	}
	if now.Sub(since) < 2*b.ttl {
		return false
	}
	b.log.Info().Str("lease", key).Int("holding", len(b.held)).Int("fair_share", FairShare(b.n, b.members)).
		Dur("free_for", now.Sub(since).Round(time.Millisecond)).Msg("taking a lease nobody took: above the fair share")
	b.held[key] = false
	delete(b.freeSince, key)
	// A member counted but not leading (it cannot load a shard's state, say) would get
	// every lease given up to it back after the grace, and leave it unpolled meanwhile:
	// keep what was taken this way, for longer each time, until the member count changes.
	b.quiet = min(max(2*b.quiet, 10*b.ttl), maxQuiet)
	b.nextRelease = later(b.nextRelease, now.Add(b.quiet))
	return true
}

// maxQuiet bounds how long a replica keeps leases above its fair share after taking ones
// nobody took.
const maxQuiet = 30 * time.Minute

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// won records that key was won, and returns the channel that tells to give it up.
func (b *Balancer) won(key string) <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.held[key] = true
	ch := b.releaseChan(key)
	select { // an order for an earlier leadership
	case <-ch:
	default:
	}
	return ch
}

// let records that key is no longer held nor campaigned for.
func (b *Balancer) let(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.held, key)
}

// Ready is closed once the members have been counted (or the count failed) once, so
// leases do not all go to the replica that starts first.
func (b *Balancer) Ready() <-chan struct{} { return b.ready }
