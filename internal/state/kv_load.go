package state

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go/jetstream"
)

// maxClaims bounds how often Load re-reads a key that keeps changing under it.
const maxClaims = 5

// read is one project's stored value as Load found it.
type read struct {
	rev    uint64 // 0: no key
	value  kvValue
	inbox  []storedEvent // the last commit's events not yet in keys of their own
	events []storedEvent // from the project's event keys, with their revisions
}

// Load reads every project of the store and claims each key: it copies the events of the
// last commit to keys of their own, then rewrites the key it read (or creates a missing
// one) under its epoch and term with a revision check, so any later write by an earlier
// leader fails. A key changed between the read and the claim is read again: the claim never
// replaces a value it has not read. A key written under a newer (epoch, term) is ErrFenced.
func (s *KV) Load(ctx context.Context) (*Snapshot, error) {
	var pending []storedEvent
	snap := Empty()
	for _, p := range s.projects {
		r, err := s.readProject(ctx, p)
		if err != nil {
			return nil, err
		}
		if r, err = s.claim(ctx, p, r); err != nil {
			return nil, err
		}
		if r.value.State != nil {
			snap.Projects[p] = r.value.State
		}
		pending = append(pending, s.adopt(p, r)...)
	}
	// Events are delivered in the order they were committed, across projects too.
	slices.SortStableFunc(pending, func(a, b storedEvent) int { return cmp.Compare(a.Order, b.Order) })
	for _, pe := range pending {
		snap.Outbox = append(snap.Outbox, pe.Pending)
	}
	return snap, nil
}

// readProject reads a project's state key, its inbox, then its event keys. In that
// order, an event copied to its own key and removed from the inbox by a concurrent commit
// is seen in one of the two places.
func (s *KV) readProject(ctx context.Context, p string) (*read, error) {
	key := Key(p)
	r := &read{}
	e, err := s.kv.Get(ctx, key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
	case err != nil:
		return nil, fmt.Errorf("reading state key %s: %w", key, err)
	default:
		if err := decodeValue(e.Value(), &r.value); err != nil {
			return nil, fmt.Errorf("state key %s is unreadable: %w", key, err)
		}
		if r.value.State != nil && r.value.State.Tasks == nil {
			return nil, fmt.Errorf("state key %s is unreadable: project without a task map", key)
		}
		r.rev = e.Revision()
	}
	for i, pe := range r.value.Outbox {
		if pe.Order == 0 { // a value written before event keys: its outbox is in order
			pe.Order = uint64(i + 1)
		}
		r.inbox = append(r.inbox, pe)
	}
	for _, name := range r.value.Chunks {
		ck := chunkKey(p, name)
		e, err := s.kv.Get(ctx, ck)
		if err != nil {
			return nil, fmt.Errorf("reading inbox chunk %s named by state key %s: %w", ck, key, err)
		}
		var part []storedEvent
		if err := decodeValue(e.Value(), &part); err != nil {
			return nil, fmt.Errorf("inbox chunk %s is unreadable: %w", ck, err)
		}
		r.inbox = append(r.inbox, part...)
	}
	r.events, err = s.readEvents(ctx, p)
	return r, err
}

// readEvents returns the events stored under a project's event keys.
func (s *KV) readEvents(ctx context.Context, p string) ([]storedEvent, error) {
	w, err := s.kv.WatchFiltered(ctx, []string{EventKey(p, ">")}, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("listing the events of project %s: %w", p, err)
	}
	defer w.Stop()
	var out []storedEvent
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("listing the events of project %s: watch closed", p)
			}
			if e == nil { // every stored key was delivered
				return out, nil
			}
			var pe storedEvent
			if err := decodeValue(e.Value(), &pe); err != nil {
				return nil, fmt.Errorf("event key %s is unreadable: %w", e.Key(), err)
			}
			pe.rev = e.Revision()
			out = append(out, pe)
		}
	}
}

// claim makes a project's key ours. The inbox it read is first copied to event keys, so the
// claimed value is small whatever the old one held (a value of the format before event
// keys holds every pending event); then the key is rewritten with a revision check on what
// was read. On a conflict the key is read again, and the event keys copied from an inbox
// that no longer holds them are deleted again.
func (s *KV) claim(ctx context.Context, p string, r *read) (*read, error) {
	key := Key(p)
	copied := map[string]uint64{} // event id -> revision of the event key we wrote
	for range maxClaims {
		if r.rev != 0 && !s.newer(&r.value) {
			return nil, s.fenced(key, &r.value)
		}
		if err := s.copyInbox(ctx, p, r, copied); err != nil {
			return nil, err
		}
		v := kvValue{Term: s.term, Epoch: s.epoch, Writer: s.writer, State: r.value.State}
		b, err := encodeValue(v)
		if err != nil {
			return nil, fmt.Errorf("encoding state key %s: %w", key, err)
		}
		var rev uint64
		if r.rev == 0 {
			rev, err = s.kv.Create(ctx, key, b)
		} else {
			rev, err = s.kv.Update(ctx, key, b, r.rev)
		}
		if err == nil {
			s.revs[key], s.last[key] = rev, sha256.Sum256(b)
			s.dropChunks(ctx, p)
			return r, nil
		}
		if !isConflict(err) {
			return nil, fmt.Errorf("claiming state key %s: %w", key, err)
		}
		if r, err = s.readProject(ctx, p); err != nil {
			return nil, err
		}
		if err := s.uncopy(ctx, p, r, copied); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("claiming state key %s: it changed %d times while being claimed: %w", key, maxClaims, ErrFenced)
}

// copyInbox writes every inbox event of r that has no event key yet to one, and moves it
// to r.events.
func (s *KV) copyInbox(ctx context.Context, p string, r *read, copied map[string]uint64) error {
	have := make(map[string]bool, len(r.events))
	for _, e := range r.events {
		have[e.Event.ID] = true
	}
	for _, e := range r.inbox {
		if have[e.Event.ID] {
			continue // copied by the commit that wrote it, with the same receivers
		}
		e = s.fit(e)
		b, err := encodeValue(e)
		if err != nil {
			return fmt.Errorf("encoding event key %s: %w", EventKey(p, e.Event.ID), err)
		}
		if e.rev, err = s.kv.Put(ctx, EventKey(p, e.Event.ID), b); err != nil {
			return fmt.Errorf("saving event key %s: %w", EventKey(p, e.Event.ID), err)
		}
		copied[e.Event.ID] = e.rev
		have[e.Event.ID] = true
		r.events = append(r.events, e)
	}
	r.inbox = nil
	return nil
}

// uncopy deletes the event keys claim wrote from an inbox that, read again, no longer
// holds their events (another writer delivered them meanwhile).
func (s *KV) uncopy(ctx context.Context, p string, r *read, copied map[string]uint64) error {
	still := map[string]bool{}
	for _, e := range r.inbox {
		still[e.Event.ID] = true
	}
	for _, e := range r.events {
		if e.rev != copied[e.Event.ID] {
			still[e.Event.ID] = true // rewritten by someone else since: theirs now
		}
	}
	deleted := map[string]bool{}
	for id, rev := range copied {
		if still[id] {
			continue
		}
		err := s.kv.Delete(ctx, EventKey(p, id), jetstream.LastRevision(rev))
		if err != nil && !isConflict(err) && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return fmt.Errorf("deleting event key %s: %w", EventKey(p, id), err)
		}
		delete(copied, id)
		deleted[id] = true
	}
	r.events = slices.DeleteFunc(r.events, func(e storedEvent) bool { return deleted[e.Event.ID] })
	return nil
}

// dropChunks deletes a project's inbox chunks, which no claimed value names.
func (s *KV) dropChunks(ctx context.Context, p string) {
	l, err := s.kv.ListKeysFiltered(ctx, chunkKey(p, ">"))
	if err != nil {
		return // left for the next Load
	}
	var keys []string
	for k := range l.Keys() {
		keys = append(keys, k)
	}
	_ = l.Stop()
	for _, k := range keys {
		_ = s.kv.Purge(ctx, k)
	}
}

// adopt records what was read of a project as what the store holds, and returns its
// pending events.
func (s *KV) adopt(p string, r *read) []storedEvent {
	stored := make(map[string]storedEvent, len(r.events))
	for _, e := range r.events {
		stored[e.Event.ID] = e
		s.order = max(s.order, e.Order)
		s.orders[e.Event.ID] = e.Order
	}
	s.events[p] = stored
	return r.events
}
