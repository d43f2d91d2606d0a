// Package cluster lets several notifier replicas share work safely: a lease on a NATS
// JetStream KV bucket elects one leader per shard, and only the leader polls and publishes.
//
// The pattern is the one NATS maintainers recommend: Create of the lease key wins (it fails
// while the key exists), the holder renews it with Update at a third of the bucket's TTL
// (Update checks the revision, so two holders can never both renew), and a renewal that
// fails or runs late ends the leadership at once. A holder that dies without cleaning up
// loses the lease when the bucket's TTL removes the key; one that stops cleanly deletes it
// so a follower takes over at its next attempt.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
	"github.com/rs/zerolog"

	"notifier/internal/retry"
	"notifier/internal/state"
)

// LeaseOptions are what a Lease is built from.
type LeaseOptions struct {
	KV     jetstream.KeyValue // the lease bucket; its TTL is the lease's
	Key    string             // e.g. "shard-0"
	Holder string             // who we are; default NewHolder()
	TTL    time.Duration      // the bucket's TTL
	Log    zerolog.Logger
	// OnChange, when set, is told every change of leadership (term 0: not leader). Terms
	// are revisions of the lease key: they grow with every change of holder, so they fence
	// writes made by an old leader.
	OnChange func(leader bool, term uint64)
	// Balancer, when set, decides whether this replica campaigns for the lease and when
	// it gives the lease up; nil: it takes the lease whenever it is free.
	Balancer *Balancer
}

// Lease campaigns for one lease key.
type Lease struct {
	kv       jetstream.KeyValue
	key      string
	holder   string
	ttl      time.Duration
	log      zerolog.Logger
	onChange func(leader bool, term uint64)
	bal      *Balancer
}

// NewLease returns a Lease on o.Key; KV and a positive TTL are required.
func NewLease(o LeaseOptions) *Lease {
	if o.Holder == "" {
		o.Holder = NewHolder()
	}
	if o.OnChange == nil {
		o.OnChange = func(bool, uint64) {}
	}
	return &Lease{kv: o.KV, key: o.Key, holder: o.Holder, ttl: o.TTL, log: o.Log, onChange: o.OnChange, bal: o.Balancer}
}

// NewHolder returns a holder id unique to this process: host, pid and a random suffix.
func NewHolder() string {
	host, _ := os.Hostname()
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + nuid.Next()
}

// Run campaigns until ctx is done. Whenever it wins the lease it calls lead with a context
// that is cancelled the moment the lease is lost or ctx is done, and waits for lead to
// return before campaigning again. While lead finishes after ctx is done (delivering what
// is pending, say) the lease is still renewed, so nobody else takes over half-way; then it
// is released. The same goes when the Balancer gives the lease up: the lead context's
// cause is then ErrReleased (see Released). A renewal failing meanwhile ends Held(ctx):
// that finishing must stop there.
func (l *Lease) Run(ctx context.Context, lead func(ctx context.Context, term uint64)) {
	log := l.log.With().Str("lease", l.key).Str("holder", l.holder).Logger()
	if l.bal != nil {
		select {
		case <-l.bal.Ready():
		case <-ctx.Done():
			return
		}
	}
	for ctx.Err() == nil {
		every := l.period(ctx)
		if l.bal != nil && !l.bal.admit(l.key, func() (bool, error) { return l.free(ctx, every) }) {
			if retry.Sleep(ctx, every) != nil {
				return
			}
			continue
		}
		rev, err := l.acquire(ctx, every)
		if err != nil {
			l.let()
			if !errors.Is(err, jetstream.ErrKeyExists) && ctx.Err() == nil {
				log.Warn().Err(err).Msg("lease: cannot reach the bucket; will try again")
			}
			if retry.Sleep(ctx, every) != nil {
				return
			}
			continue
		}
		log.Info().Uint64("term", rev).Msg("lease won: leading")
		var release <-chan struct{}
		if l.bal != nil {
			release = l.bal.won(l.key)
		}
		l.onChange(true, rev)
		// held outlives leadCtx while lead finishes after ctx is done or the lease is given
		// up, and ends when the lease is lost: see Held.
		held, lose := context.WithCancelCause(context.WithoutCancel(ctx))
		leadCtx, stop := context.WithCancelCause(context.WithValue(ctx, heldKey{}, held))
		done := make(chan struct{})
		go func() {
			defer close(done)
			lead(leadCtx, rev)
		}()
		rev, err = l.hold(ctx, rev, every, done, release, stop)
		if err != nil {
			lose(err)
		}
		stop(context.Canceled)
		<-done
		lose(context.Canceled)
		l.onChange(false, 0)
		if err != nil {
			l.let()
			log.Warn().Err(err).Msg("lease lost: stopped leading")
			continue
		}
		// lead returned (ctx done, the lease given up, or by itself): let another replica
		// take the work. Lead returning by itself means it could not work (its state
		// unreadable, say): pause before campaigning again rather than loop on the bucket.
		l.release(rev, log)
		l.let()
		if retry.Sleep(ctx, every) != nil {
			return
		}
	}
}

type heldKey struct{}

// Held returns, for the context Run gives lead, a context that ends when the lease is lost
// (a renewal failed or came too late) or once lead has returned, but not when ctx is done
// nor when the Balancer gives the lease up: what lead still does after its own context
// ended (delivering what is pending) must stop when it ends, as another replica may lead
// by then. For any other context it returns one that never ends.
func Held(ctx context.Context) context.Context {
	if h, ok := ctx.Value(heldKey{}).(context.Context); ok {
		return h
	}
	return context.WithoutCancel(ctx)
}

func (l *Lease) let() {
	if l.bal != nil {
		l.bal.let(l.key)
	}
}

// free reports whether nobody holds the lease.
func (l *Lease) free(ctx context.Context, timeout time.Duration) (bool, error) {
	c, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := l.kv.Get(c, l.key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return true, nil
	}
	return false, err
}

// period is how often the lease is renewed: a third of the TTL that counts, the bucket's,
// or of TTL when it is shorter or the bucket cannot say.
func (l *Lease) period(ctx context.Context) time.Duration {
	ttl := l.ttl
	c, cancel := context.WithTimeout(ctx, l.ttl/3)
	defer cancel()
	if st, err := l.kv.Status(c); err == nil && st.TTL() > 0 {
		ttl = min(ttl, st.TTL())
	}
	return ttl / 3
}

func (l *Lease) acquire(ctx context.Context, timeout time.Duration) (uint64, error) {
	c, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return l.kv.Create(c, l.key, []byte(l.holder))
}

// hold renews the lease every interval until lead returns (nil) or a renewal fails (the
// error, after calling stop so that lead quits at once). Told to give the lease up, it
// stops lead with ErrReleased and renews on until lead returns.
func (l *Lease) hold(ctx context.Context, rev uint64, every time.Duration, done <-chan struct{}, release <-chan struct{}, stop context.CancelCauseFunc) (uint64, error) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-done:
			return rev, nil
		case <-release:
			stop(ErrReleased)
			release = nil
			continue
		case <-t.C:
		}
		// A renewal slower than the interval may already be too late: give up rather
		// than lead on a lease that may have expired.
		c, cancel := context.WithTimeout(context.WithoutCancel(ctx), every)
		next, err := l.kv.Update(c, l.key, []byte(l.holder), rev)
		cancel()
		if err != nil {
			err = fmt.Errorf("renewing lease %s: %w", l.key, err)
			stop(err)
			return rev, err
		}
		rev = next
	}
}

// release deletes the lease if it is still ours, so a follower need not wait for the TTL.
func (l *Lease) release(rev uint64, log zerolog.Logger) {
	c, cancel := context.WithTimeout(context.Background(), l.ttl/3)
	defer cancel()
	if err := l.kv.Delete(c, l.key, jetstream.LastRevision(rev)); err != nil {
		log.Debug().Err(err).Msg("lease: release failed; it expires with its TTL")
		return
	}
	log.Info().Msg("lease released")
}

// LeaseBucket opens or creates the lease bucket: a KV bucket whose TTL is the lease TTL.
// An existing bucket keeps its TTL: SetTTL changes it, once the replicas agree on it
// (Layout).
func LeaseBucket(ctx context.Context, js jetstream.JetStream, name string, ttl time.Duration, replicas int) (jetstream.KeyValue, error) {
	kv, err := state.OpenOrCreateKV(ctx, js, leaseConfig(name, ttl, replicas))
	if err != nil {
		return nil, fmt.Errorf("lease bucket %s: %w", name, err)
	}
	return kv, nil
}

func leaseConfig(name string, ttl time.Duration, replicas int) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:      name,
		Description: "dcs-notifier leader leases",
		TTL:         ttl,
		History:     1,
		Replicas:    replicas,
		Storage:     jetstream.FileStorage,
	}
}

// SetTTL updates the lease bucket's TTL to ttl when it differs (lease_ttl changed in the
// config). Renewals are paced by the bucket's TTL: call it only when no replica of
// another lease_ttl runs, as Layout makes sure.
func SetTTL(ctx context.Context, js jetstream.JetStream, kv jetstream.KeyValue, ttl time.Duration, replicas int) error {
	st, err := kv.Status(ctx)
	if err != nil {
		return fmt.Errorf("lease bucket %s: %w", kv.Bucket(), err)
	}
	if st.TTL() == ttl {
		return nil
	}
	if _, err := js.UpdateKeyValue(ctx, leaseConfig(kv.Bucket(), ttl, replicas)); err != nil {
		return fmt.Errorf("lease bucket %s has TTL %v and state.lease_ttl is %v: updating the bucket failed: %w", kv.Bucket(), st.TTL(), ttl, err)
	}
	return nil
}
