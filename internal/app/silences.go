package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"notifier/internal/config"
	"notifier/internal/logx"
	"notifier/internal/retry"
	"notifier/internal/silence"
	"notifier/internal/state"
)

// silences are the running notifier's silences: kept with the state (state.Silences),
// compiled into the Set route.Decide weighs at every commit (Set), and changed through
// the API (add, expire). With nats-kv every replica watches the bucket's silence keys, so
// one added through any replica is applied by all as soon as JetStream delivers it; a
// fail-over keeps them. Reading or writing them never waits for a commit, nor a commit for
// them: Decide reads the last Set.
type silences struct {
	set   atomic.Pointer[silence.Set]
	store atomic.Pointer[storeRef] // nil until the nats-kv bucket is open
	now   func() time.Time
	log   zerolog.Logger
	mu    sync.Mutex // one change at a time

	nc     *nats.Conn // nats-kv: opened and watched by run
	bucket config.State
}

type storeRef struct{ s state.Silences }

// errSilencesNotReady: the nats-kv bucket is not open yet.
var errSilencesNotReady = errors.New("silences are not loaded yet (the state bucket is not open); try again")

// gcEvery is how often silences expired more than silence.Retention ago are dropped.
const gcEvery = time.Hour

// newFileSilences loads the silences of the state directory dir.
func newFileSilences(dir string, now func() time.Time, log zerolog.Logger) (*silences, error) {
	s := &silences{now: now, log: log}
	s.set.Store(mustSet(nil))
	st := state.NewFileSilences(dir)
	all, err := st.Load(context.Background())
	if err != nil {
		return nil, setupErr("state.path: %w", err)
	}
	s.replace(all)
	s.store.Store(&storeRef{st})
	return s, nil
}

// newKVSilences are the silences of the nats-kv bucket, none until run opens it.
func newKVSilences(nc *nats.Conn, st config.State, now func() time.Time, log zerolog.Logger) *silences {
	s := &silences{now: now, log: log, nc: nc, bucket: st}
	s.set.Store(mustSet(nil))
	return s
}

func mustSet(all []silence.Silence) *silence.Set {
	set, _ := silence.NewSet(all)
	return set
}

// Set is the silences as they are now.
func (s *silences) Set() *silence.Set { return s.set.Load() }

// replace makes all the silences; one that does not validate is logged and left out.
func (s *silences) replace(all []silence.Silence) {
	set, bad := silence.NewSet(all)
	for _, id := range bad {
		s.log.Warn().Str("silence", id).Msg("a stored silence does not validate; it is ignored")
	}
	s.set.Store(set)
}

// add validates and stores sl: a new id, starts_at now when not given.
func (s *silences) add(ctx context.Context, sl silence.Silence) (silence.Silence, error) {
	now := s.now()
	sl.ID = silence.NewID()
	if sl.StartsAt.IsZero() {
		sl.StartsAt = now
	}
	if err := sl.Validate(); err != nil {
		return silence.Silence{}, err
	}
	if !sl.EndsAt.After(now) {
		return silence.Silence{}, &silence.InvalidError{Err: fmt.Errorf("ends_at: %s is already past", sl.EndsAt.UTC().Format(time.RFC3339))}
	}
	if err := s.put(ctx, sl); err != nil {
		return silence.Silence{}, err
	}
	s.log.Info().Str("silence", sl.ID).Str("created_by", sl.CreatedBy).Str("comment", sl.Comment).
		Time("ends_at", sl.EndsAt).Msg("silence added")
	return sl, nil
}

// expire ends the silence with id now; false when there is none.
func (s *silences) expire(ctx context.Context, id string) (silence.Silence, bool, error) {
	sl, ok := s.Set().Get(id)
	if !ok {
		return silence.Silence{}, false, nil
	}
	sl = sl.Expire(s.now())
	if err := s.put(ctx, sl); err != nil {
		return silence.Silence{}, true, err
	}
	s.log.Info().Str("silence", id).Msg("silence expired")
	return sl, true, nil
}

// put stores sl and applies it at once (the watch brings it again, unchanged).
func (s *silences) put(ctx context.Context, sl silence.Silence) error {
	ref := s.store.Load()
	if ref == nil {
		return errSilencesNotReady
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ref.s.Put(ctx, sl); err != nil {
		return err
	}
	all := s.Set().All()
	for i := range all {
		if all[i].ID == sl.ID {
			all = append(all[:i], all[i+1:]...)
			break
		}
	}
	s.replace(append(all, sl))
	return nil
}

// gc drops the silences expired more than silence.Retention ago.
func (s *silences) gc(ctx context.Context) {
	ref := s.store.Load()
	if ref == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.Set().All()
	keep := silence.GC(all, s.now())
	if len(keep) == len(all) {
		return
	}
	kept := map[string]bool{}
	for _, k := range keep {
		kept[k.ID] = true
	}
	for _, sl := range all {
		if !kept[sl.ID] {
			if err := ref.s.Delete(ctx, sl.ID); err != nil {
				s.log.Warn().Err(err).Str("silence", sl.ID).Msg("cannot drop an old silence; will try again")
				return
			}
		}
	}
	s.replace(keep)
}

// run keeps the silences until ctx ends: with nats-kv it opens the bucket and watches
// the silence keys (again after a failure); every gcEvery it drops old silences.
func (s *silences) run(ctx context.Context) {
	if s.nc != nil {
		var wg sync.WaitGroup
		wg.Go(func() { s.watch(ctx) })
		defer wg.Wait() // nothing outlives Run
	}
	t := time.NewTicker(gcEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.gc(ctx)
		}
	}
}

// watch opens the bucket and follows its silence keys, retrying while NATS fails.
func (s *silences) watch(ctx context.Context) {
	b := retry.New(time.Second, 30*time.Second)
	for ctx.Err() == nil {
		err := s.watchOnce(ctx, b)
		if ctx.Err() != nil {
			return
		}
		d := b.NextBackOff()
		s.log.Warn().Err(err).Dur("retry_in", logx.Round(d)).Msg("cannot follow the silences in the state bucket; will try again")
		if retry.Sleep(ctx, d) != nil {
			return
		}
	}
}

func (s *silences) watchOnce(ctx context.Context, b *retry.Backoff) error {
	js, err := jetstream.New(s.nc)
	if err != nil {
		return err
	}
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	kv, err := state.OpenKVBucket(c, js, s.bucket.Bucket, s.bucket.Replicas)
	cancel()
	if err != nil {
		return err
	}
	st := state.NewKVSilences(kv)
	return st.Watch(ctx, func(all []silence.Silence) {
		s.mu.Lock()
		s.replace(all)
		s.mu.Unlock()
		s.store.Store(&storeRef{st})
		b.Reset()
	})
}

// Silences returns every silence kept, expired ones included (web.Silencer).
func (a *App) Silences() []silence.Silence { return a.sil.Set().All() }

// AddSilence keeps a new silence (web.Silencer): every replica applies it.
func (a *App) AddSilence(ctx context.Context, s silence.Silence) (silence.Silence, error) {
	return a.sil.add(ctx, s)
}

// ExpireSilence ends the silence with id now (web.Silencer).
func (a *App) ExpireSilence(ctx context.Context, id string) (silence.Silence, bool, error) {
	return a.sil.expire(ctx, id)
}
