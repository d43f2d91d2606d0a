package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"notifier/internal/silence"
)

// silencePrefix starts the key of every silence in the nats-kv bucket.
const silencePrefix = "silence."

// SilenceKey is the nats-kv key of the silence with id.
func SilenceKey(id string) string { return silencePrefix + id }

// KVSilences keeps each silence in a key of its own (SilenceKey) of the state's bucket.
// Every replica writes them (a silence is added through whichever replica the API
// reached) and watches them (Watch), so a new silence reaches every replica as soon as
// JetStream delivers it, and a fail-over keeps them: they are not any leader's.
type KVSilences struct{ kv jetstream.KeyValue }

// NewKVSilences keeps the silences in kv, the state's bucket.
func NewKVSilences(kv jetstream.KeyValue) *KVSilences { return &KVSilences{kv: kv} }

// Load reads every silence key.
func (s *KVSilences) Load(ctx context.Context) ([]silence.Silence, error) {
	l, err := s.kv.ListKeysFiltered(ctx, silencePrefix+">")
	if err != nil {
		return nil, fmt.Errorf("silences: listing %s>: %w", silencePrefix, err)
	}
	var keys []string
	for k := range l.Keys() {
		keys = append(keys, k)
	}
	var out []silence.Silence
	for _, k := range keys {
		e, err := s.kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // deleted since listed
		}
		if err != nil {
			return nil, fmt.Errorf("silences: %s: %w", k, err)
		}
		var sl silence.Silence
		if err := json.Unmarshal(e.Value(), &sl); err != nil {
			return nil, fmt.Errorf("silences: %s: %w", k, err)
		}
		out = append(out, sl)
	}
	return out, nil
}

// Put writes s's key.
func (s *KVSilences) Put(ctx context.Context, sl silence.Silence) error {
	if !silence.ValidID(sl.ID) {
		return fmt.Errorf("silences: id %q cannot be a key", sl.ID)
	}
	b, err := json.Marshal(sl)
	if err != nil {
		return fmt.Errorf("silences: %w", err)
	}
	if _, err := s.kv.Put(ctx, SilenceKey(sl.ID), b); err != nil {
		return fmt.Errorf("silences: %s: %w", SilenceKey(sl.ID), err)
	}
	return nil
}

// Delete purges the key of the silence with id.
func (s *KVSilences) Delete(ctx context.Context, id string) error {
	if !silence.ValidID(id) {
		return nil
	}
	if err := s.kv.Purge(ctx, SilenceKey(id)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("silences: %s: %w", SilenceKey(id), err)
	}
	return nil
}

// Watch calls changed with every silence kept, once with those there now and again at
// every change any replica makes, until ctx ends or the watch fails (its error). A
// value that does not decode is left out of the list.
func (s *KVSilences) Watch(ctx context.Context, changed func([]silence.Silence)) error {
	w, err := s.kv.Watch(ctx, silencePrefix+">")
	if err != nil {
		return fmt.Errorf("silences: watching %s>: %w", silencePrefix, err)
	}
	defer func() { _ = w.Stop() }()
	all := map[string]silence.Silence{}
	initial := true
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				return errors.New("silences: the watch of the bucket stopped")
			}
			if e == nil { // the values there when the watch began are all delivered
				initial = false
				changed(values(all))
				continue
			}
			id := strings.TrimPrefix(e.Key(), silencePrefix)
			var sl silence.Silence
			if e.Operation() != jetstream.KeyValuePut || json.Unmarshal(e.Value(), &sl) != nil {
				delete(all, id)
			} else {
				all[id] = sl
			}
			if !initial {
				changed(values(all))
			}
		}
	}
}

func values(m map[string]silence.Silence) []silence.Silence {
	out := make([]silence.Silence, 0, len(m))
	for _, s := range m {
		out = append(out, s)
	}
	return out
}
