package state

import (
	"cmp"
	"context"
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
	events []storedEvent // from the project's event keys
}

// Load reads every project of the store and claims each key: it raises its term above
// every term found, then rewrites each key it read (or creates each missing one) with a
// revision check, so any later write by an earlier leader fails. A key changed between
// the read and the claim is read again: the claim never replaces a value it has not read.
func (s *KV) Load(ctx context.Context) (*Snapshot, error) {
	reads := make(map[string]*read, len(s.projects))
	for _, p := range s.projects {
		r, err := s.readProject(ctx, p)
		if err != nil {
			return nil, err
		}
		reads[p] = r
		s.term = max(s.term, r.value.Term+1)
	}
	snap := Empty()
	for _, p := range s.projects {
		r, err := s.claim(ctx, p, reads[p])
		if err != nil {
			return nil, err
		}
		s.adopt(p, r, snap)
	}
	return snap, nil
}

// readProject reads a project's state key, then its event keys. In that order, an event
// copied to its own key and removed from the inbox by a concurrent commit is seen in one of
// the two places.
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
			out = append(out, pe)
		}
	}
}

// claim rewrites a project's key under our term with a revision check on what was read,
// reading again when another writer changed it meanwhile. A value of a term at least ours
// is another leader's: ErrFenced.
func (s *KV) claim(ctx context.Context, p string, r *read) (*read, error) {
	key := Key(p)
	for range maxClaims {
		if r.rev != 0 && r.value.Term >= s.term {
			return nil, s.fenced(key, &r.value)
		}
		v := r.value
		v.Term, v.Writer = s.term, s.writer
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
			s.revs[key], s.last[key] = rev, b
			return r, nil
		}
		if !isConflict(err) {
			return nil, fmt.Errorf("claiming state key %s: %w", key, err)
		}
		if r, err = s.readProject(ctx, p); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("claiming state key %s: it changed %d times while being claimed: %w", key, maxClaims, ErrFenced)
}

// adopt puts what was read of a project into snap: its state, then its pending events,
// in the order they were committed (the inbox is the newest commit).
func (s *KV) adopt(p string, r *read, snap *Snapshot) {
	if r.value.State != nil {
		snap.Projects[p] = r.value.State
	}
	stored := map[string]storedEvent{}
	seen := map[string]bool{}
	var pending []storedEvent
	for _, pe := range r.events {
		stored[pe.Event.ID] = pe
		seen[pe.Event.ID] = true
		pending = append(pending, pe)
	}
	// An inbox event also found under its own key was copied there by the same commit,
	// with the same receivers: it counts once.
	for i, pe := range r.value.Outbox {
		if !seen[pe.Event.ID] {
			seen[pe.Event.ID] = true
			if pe.Order == 0 { // a value written before event keys: its outbox is in order
				pe.Order = uint64(i + 1)
			}
			pending = append(pending, pe)
		}
	}
	// Events are delivered in the order they were committed.
	slices.SortStableFunc(pending, func(a, b storedEvent) int { return cmp.Compare(a.Order, b.Order) })
	for _, pe := range pending {
		s.order = max(s.order, pe.Order)
		s.orders[pe.Event.ID] = pe.Order
		snap.Outbox = append(snap.Outbox, pe.Pending)
	}
	s.events[p] = stored
}
