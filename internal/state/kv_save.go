package state

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strconv"

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
	chunks, err := s.writeInbox(ctx, p, st, inbox)
	if err != nil {
		return err
	}
	if len(inbox) > 0 {
		for _, e := range inbox {
			if e.rev, err = s.createEvent(ctx, p, e); err != nil {
				return err
			}
			stored[e.Event.ID] = e
		}
		if err := s.writeState(ctx, p, kvValue{State: st}); err != nil {
			return err
		}
		if st != nil {
			s.written[p] = st
		}
		for _, name := range chunks {
			_ = s.kv.Purge(ctx, chunkKey(p, name)) // one left over is purged by the next Load
		}
	}
	return s.settleEvents(ctx, p, stored, pending)
}

// writeInbox writes the state key with the commit's new events: inside it when they fit,
// else in chunk keys written first and named by it. It returns the chunks' names.
func (s *KV) writeInbox(ctx context.Context, p string, st *diff.ProjectState, inbox []storedEvent) ([]string, error) {
	if len(inbox) == 0 && st != nil && s.written[p] == st {
		return nil, nil // unchanged since it was written
	}
	b, err := s.encodeState(p, kvValue{State: st, Outbox: inbox})
	if err != nil {
		return nil, err
	}
	if len(inbox) == 0 || s.maxValue <= 0 || int64(len(b)) <= s.maxValue {
		err := s.putState(ctx, p, b)
		if err == nil && len(inbox) == 0 {
			s.written[p] = st
		}
		return nil, err
	}
	var names []string
	var part []storedEvent
	flush := func() error {
		s.chunks++
		name := s.writer + "-" + strconv.FormatUint(s.chunks, 10)
		b, err := encodeValue(part)
		if err != nil {
			return err
		}
		if err := s.checkSize(chunkKey(p, name), b); err != nil {
			return err
		}
		if _, err := s.kv.Put(ctx, chunkKey(p, name), b); err != nil {
			return fmt.Errorf("saving inbox chunk %s: %w", chunkKey(p, name), err)
		}
		names, part = append(names, name), nil
		return nil
	}
	for _, e := range inbox {
		if len(part) > 0 && !s.fits(append(part, e)) {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		part = append(part, e)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return names, s.writeState(ctx, p, kvValue{State: st, Chunks: names})
}

// fits reports whether a chunk encodes within half the largest value.
func (s *KV) fits(v []storedEvent) bool {
	if s.maxValue <= 0 {
		return true
	}
	b, err := encodeValue(v)
	return err == nil && int64(len(b)) <= s.maxValue/2
}

// settleEvents brings the event keys of events already copied out in line with pending:
// fewer receivers are written, delivered events are deleted, each with a revision check.
func (s *KV) settleEvents(ctx context.Context, p string, stored map[string]storedEvent, pending []Pending) error {
	want := make(map[string]int, len(pending))
	for i, pe := range pending {
		want[pe.Event.ID] = i
	}
	for id, e := range stored {
		i, ok := want[id]
		switch {
		case !ok:
			if err := s.deleteEvent(ctx, p, e); err != nil {
				return err
			}
			delete(stored, id)
			delete(s.orders, id)
		case !slices.Equal(e.Sinks, pending[i].Sinks):
			e.Sinks = pending[i].Sinks // e keeps the event as stored (perhaps fitted)
			rev, err := s.updateEvent(ctx, p, e)
			if err != nil {
				return err
			}
			e.rev = rev
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

// createEvent writes a new event key. One that exists already was written by us (a lost
// reply) or by whoever claimed the project before us: it is ours to overwrite only while
// the state key is.
func (s *KV) createEvent(ctx context.Context, p string, e storedEvent) (uint64, error) {
	key := EventKey(p, e.Event.ID)
	b, err := s.encodeEvent(key, e)
	if err != nil {
		return 0, err
	}
	rev, err := s.kv.Create(ctx, key, b)
	if isConflict(err) {
		rev, err = s.again(ctx, p, key, func(cur uint64) (uint64, error) { return s.kv.Update(ctx, key, b, cur) })
	}
	if err != nil {
		return 0, fmt.Errorf("saving event key %s: %w", key, err)
	}
	return rev, nil
}

// updateEvent writes an event key over the revision we last wrote, with the same rule on
// a conflict as createEvent.
func (s *KV) updateEvent(ctx context.Context, p string, e storedEvent) (uint64, error) {
	key := EventKey(p, e.Event.ID)
	b, err := s.encodeEvent(key, e)
	if err != nil {
		return 0, err
	}
	rev, err := s.kv.Update(ctx, key, b, e.rev)
	if isConflict(err) {
		rev, err = s.again(ctx, p, key, func(cur uint64) (uint64, error) { return s.kv.Update(ctx, key, b, cur) })
	}
	if err != nil {
		return 0, fmt.Errorf("saving event key %s: %w", key, err)
	}
	return rev, nil
}

// deleteEvent deletes an event key at the revision we last wrote, with the same rule on a
// conflict as createEvent. A key already gone is deleted.
func (s *KV) deleteEvent(ctx context.Context, p string, e storedEvent) error {
	key := EventKey(p, e.Event.ID)
	del := func(rev uint64) (uint64, error) {
		return 0, s.kv.Delete(ctx, key, jetstream.LastRevision(rev))
	}
	_, err := del(e.rev)
	if isConflict(err) {
		_, err = s.again(ctx, p, key, del)
	}
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("deleting event key %s: %w", key, err)
	}
	return nil
}

// again repeats a write of an event key that met another revision than ours: only while
// the project's state key is still ours (the other revision was a reply of ours that was
// lost), at the key's current revision. Else ErrFenced.
func (s *KV) again(ctx context.Context, p, key string, write func(rev uint64) (uint64, error)) (uint64, error) {
	if err := s.owns(ctx, p); err != nil {
		return 0, err
	}
	cur, err := s.kv.Get(ctx, key)
	if err != nil {
		return 0, err
	}
	return write(cur.Revision())
}

// owns checks that the project's state key is still ours: else ErrFenced.
func (s *KV) owns(ctx context.Context, p string) error {
	key := Key(p)
	e, err := s.kv.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("reading state key %s: %w", key, err)
	}
	var v kvValue
	if derr := decodeValue(e.Value(), &v); derr != nil || v.Writer != s.writer {
		return s.fenced(key, &v)
	}
	return nil
}

func (s *KV) encodeEvent(key string, e storedEvent) ([]byte, error) {
	b, err := encodeValue(e)
	if err != nil {
		return nil, fmt.Errorf("encoding event key %s: %w", key, err)
	}
	return b, s.checkSize(key, b)
}

func (s *KV) checkSize(key string, b []byte) error {
	if s.maxValue > 0 && int64(len(b)) > s.maxValue {
		return fmt.Errorf("state key %s: %d bytes, above the NATS server's max_payload of %d: raise max_payload, or shorten poll.lookback", key, len(b), s.maxValue)
	}
	return nil
}

// writeState writes a project's state key, under our epoch, term and writer id, with a
// revision check, unless it holds these bytes already.
func (s *KV) writeState(ctx context.Context, p string, v kvValue) error {
	b, err := s.encodeState(p, v)
	if err != nil {
		return err
	}
	return s.putState(ctx, p, b)
}

func (s *KV) encodeState(p string, v kvValue) ([]byte, error) {
	v.Term, v.Epoch, v.Writer = s.term, s.epoch, s.writer
	b, err := encodeValue(v)
	if err != nil {
		return nil, fmt.Errorf("encoding state key %s: %w", Key(p), err)
	}
	return b, nil
}

func (s *KV) putState(ctx context.Context, p string, b []byte) error {
	key := Key(p)
	if last, ok := s.last[key]; ok && last == sha256.Sum256(b) {
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
			s.revs[key], s.last[key] = rev, sha256.Sum256(b)
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
