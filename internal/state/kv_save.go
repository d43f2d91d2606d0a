package state

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go/jetstream"

	"notifier/internal/diff"
)

// Save makes the bucket hold snap for the store's projects. Per project: the state key is
// written with the events new since the last save (the inbox), each new event is copied to
// its own key, the inbox is emptied, and then the event keys of delivered events are
// updated or deleted. A failure at any step leaves a readable, consistent bucket; the next
// Save takes up where this one stopped.
func (s *KV) Save(ctx context.Context, snap *Snapshot) error {
	byProject := map[string][]Pending{}
	for _, p := range snap.Outbox {
		byProject[p.Event.Data.ProjectID] = append(byProject[p.Event.Data.ProjectID], p)
	}
	for _, p := range s.projects {
		if err := s.saveProject(ctx, p, snap.Projects[p], byProject[p]); err != nil {
			return err
		}
	}
	return nil
}

func (s *KV) saveProject(ctx context.Context, p string, st *diff.ProjectState, pending []Pending) error {
	key := Key(p)
	if _, known := s.revs[key]; !known && st == nil && len(pending) == 0 {
		return nil // nothing to say about a project never polled
	}
	stored := s.events[p]
	if stored == nil {
		stored = map[string]storedEvent{}
		s.events[p] = stored
	}
	var inbox []storedEvent
	for _, pe := range pending {
		if _, ok := stored[pe.Event.ID]; !ok {
			inbox = append(inbox, s.fit(storedEvent{Pending: pe, Order: s.orderOf(pe.Event.ID)}))
		}
	}
	if err := s.writeState(ctx, p, st, inbox); err != nil {
		return err
	}
	if len(inbox) > 0 {
		for _, e := range inbox {
			if err := s.putEvent(ctx, p, e); err != nil {
				return err
			}
			stored[e.Event.ID] = e
		}
		if err := s.writeState(ctx, p, st, nil); err != nil {
			return err
		}
	}
	return s.settleEvents(ctx, p, stored, pending)
}

// settleEvents brings the event keys of events already copied out in line with pending:
// fewer receivers are written, delivered events are deleted.
func (s *KV) settleEvents(ctx context.Context, p string, stored map[string]storedEvent, pending []Pending) error {
	want := make(map[string]int, len(pending))
	for i, pe := range pending {
		want[pe.Event.ID] = i
	}
	for id, e := range stored {
		i, ok := want[id]
		switch {
		case !ok:
			if err := s.kv.Delete(ctx, EventKey(p, id)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
				return fmt.Errorf("deleting event key %s: %w", EventKey(p, id), err)
			}
			delete(stored, id)
			delete(s.orders, id)
		case !slices.Equal(e.Sinks, pending[i].Sinks):
			e.Sinks = pending[i].Sinks // e keeps the event as stored (perhaps fitted)
			if err := s.putEvent(ctx, p, e); err != nil {
				return err
			}
			stored[id] = e
		}
	}
	return nil
}

func (s *KV) orderOf(id string) uint64 {
	o, ok := s.orders[id]
	if !ok {
		s.order++
		o = s.order
		s.orders[id] = o
	}
	return o
}

func (s *KV) putEvent(ctx context.Context, p string, e storedEvent) error {
	key := EventKey(p, e.Event.ID)
	b, err := encodeValue(e)
	if err != nil {
		return fmt.Errorf("encoding event key %s: %w", key, err)
	}
	if err := s.checkSize(key, b); err != nil {
		return err
	}
	if _, err := s.kv.Put(ctx, key, b); err != nil {
		return fmt.Errorf("saving event key %s: %w", key, err)
	}
	return nil
}

func (s *KV) checkSize(key string, b []byte) error {
	if s.maxValue > 0 && int64(len(b)) > s.maxValue {
		return fmt.Errorf("state key %s: %d bytes, above the NATS server's max_payload of %d: raise max_payload, or shorten poll.lookback", key, len(b), s.maxValue)
	}
	return nil
}

// writeState writes a project's state key with a revision check, unless it holds these
// bytes already.
func (s *KV) writeState(ctx context.Context, p string, st *diff.ProjectState, inbox []storedEvent) error {
	key := Key(p)
	b, err := encodeValue(kvValue{Term: s.term, Writer: s.writer, State: st, Outbox: inbox})
	if err != nil {
		return fmt.Errorf("encoding state key %s: %w", key, err)
	}
	if slices.Equal(b, s.last[key]) {
		return nil
	}
	if err := s.checkSize(key, b); err != nil {
		return err
	}
	if err := s.write(ctx, key, b); err != nil {
		return fmt.Errorf("saving state key %s: %w", key, err)
	}
	return nil
}

// write writes b over the revision we last read or wrote. On a conflict it looks at the
// key: gone (deleted or purged by hand) is written again from what we hold; our own value
// (a write applied whose reply was lost) is written over; anyone else's is ErrFenced,
// since we never replace a value we have not read.
func (s *KV) write(ctx context.Context, key string, b []byte) error {
	rev, err := s.kv.Update(ctx, key, b, s.revs[key])
	for range maxClaims {
		if err == nil {
			s.revs[key], s.last[key] = rev, b
			return nil
		}
		if !isConflict(err) {
			return err
		}
		e, gerr := s.kv.Get(ctx, key)
		switch {
		case errors.Is(gerr, jetstream.ErrKeyNotFound):
			rev, err = s.kv.Create(ctx, key, b)
			continue
		case gerr != nil:
			return fmt.Errorf("%w (and reading it back: %v)", err, gerr)
		}
		var v kvValue
		if derr := decodeValue(e.Value(), &v); derr != nil || v.Writer != s.writer {
			return s.fenced(key, &v)
		}
		if slices.Equal(e.Value(), b) {
			rev, err = e.Revision(), nil
			continue
		}
		rev, err = s.kv.Update(ctx, key, b, e.Revision())
	}
	return fmt.Errorf("%w: it changed %d times while being written", err, maxClaims)
}
