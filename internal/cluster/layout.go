package cluster

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"notifier/internal/retry"
)

// LayoutKey is the key, in the lease bucket, of the shard layout the replicas agreed on.
const LayoutKey = "layout"

// Layout keeps replicas configured differently from leading at the same time. Replicas
// with cluster.shards = 2 and = 3 (during a rolling change of it) would otherwise lead
// overlapping shards, claim the same projects in turn and fence each other forever; with
// lease_ttl = 6s and = 1s, the bucket's TTL set for one would let the other's lease expire
// between its renewals. The layout value holds both.
//
// The key holds the layout of the replicas running now. Every replica of that layout
// refreshes it at a third of the bucket's TTL; a replica of another layout waits, and takes
// over only once the key has expired, that is once every replica of the old layout has
// stopped.
type Layout struct {
	kv     jetstream.KeyValue
	value  string
	ttl    time.Duration
	log    zerolog.Logger
	onWait func(other string)
	before func(ctx context.Context) error

	waiting string // the other layout we are waiting for, logged once
}

// LayoutOptions are what a Layout is built from.
type LayoutOptions struct {
	KV     jetstream.KeyValue // the lease bucket
	Value  string             // e.g. "shards=3 lease_ttl=10s"
	TTL    time.Duration      // the bucket's TTL
	Log    zerolog.Logger
	OnWait func(other string) // told when this replica starts waiting for another layout
	// BeforeWork, when set, runs each time the layout is agreed, before work starts (the
	// lease bucket's TTL is set to this layout's there); an error delays the work.
	BeforeWork func(ctx context.Context) error
}

// NewLayout returns a Layout holding o.Value; KV and a positive TTL are required.
func NewLayout(o LayoutOptions) *Layout {
	if o.OnWait == nil {
		o.OnWait = func(string) {}
	}
	if o.BeforeWork == nil {
		o.BeforeWork = func(context.Context) error { return nil }
	}
	return &Layout{kv: o.KV, value: o.Value, ttl: o.TTL, log: o.Log, onWait: o.OnWait, before: o.BeforeWork}
}

// Run calls work with a context that is cancelled as soon as another layout holds the key,
// and again whenever this layout holds it, until ctx is done.
func (l *Layout) Run(ctx context.Context, work func(ctx context.Context)) {
	every := l.ttl / 3
	for ctx.Err() == nil {
		if !l.agreed(ctx, every, true) {
			if retry.Sleep(ctx, every) != nil {
				return
			}
			continue
		}
		if err := l.before(ctx); err != nil {
			if ctx.Err() == nil {
				l.log.Warn().Err(err).Msg("cannot prepare the lease bucket for this layout; will try again")
			}
			if retry.Sleep(ctx, every) != nil {
				return
			}
			continue
		}
		workCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			work(workCtx)
		}()
		t := time.NewTicker(every)
	holding:
		for {
			select {
			case <-done:
				break holding
			case <-t.C:
				if !l.agreed(ctx, every, false) {
					break holding
				}
			}
		}
		t.Stop()
		stop()
		<-done
	}
}

// agreed refreshes the key when it holds our layout, creates it when it is absent, and
// reports whether we may work. An error reaching the bucket keeps the current answer
// (starting: no; working: yes), as the leases decide who leads while NATS is unreachable.
func (l *Layout) agreed(ctx context.Context, timeout time.Duration, starting bool) bool {
	c, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	e, err := l.kv.Get(c, LayoutKey)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		_, err = l.kv.Create(c, LayoutKey, []byte(l.value))
		if errors.Is(err, jetstream.ErrKeyExists) {
			// Another replica created it first: ours or another layout?
			e, err = l.kv.Get(c, LayoutKey)
			if err != nil {
				return !starting
			}
			return string(e.Value()) == l.value
		}
		if err == nil {
			l.agreedNow()
		}
		return err == nil || !starting
	case err != nil:
		return !starting
	case string(e.Value()) != l.value:
		if other := string(e.Value()); other != l.waiting {
			l.waiting = other
			l.log.Warn().Str("running_layout", other).Str("our_layout", l.value).
				Msg("replicas with another cluster.shards or state.lease_ttl are running: not leading until they stop")
			l.onWait(other)
		}
		return false
	}
	l.agreedNow()
	_, err = l.kv.Update(c, LayoutKey, []byte(l.value), e.Revision())
	// A conflict is another replica of our layout refreshing the key at the same time.
	return err == nil || errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) || !starting
}

func (l *Layout) agreedNow() {
	if l.waiting != "" {
		l.log.Info().Str("layout", l.value).Msg("the replicas of the other layout stopped: campaigning")
		l.waiting = ""
	}
}
