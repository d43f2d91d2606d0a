package state

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"notifier/internal/diff"
)

// ErrFenced means another writer changed the state since this one last read or wrote it:
// a newer leader has taken over, and this replica must stop writing.
var ErrFenced = errors.New("state was changed by another replica (a newer leader holds it)")

// KV keeps the state in a NATS JetStream KV bucket, one key per project holding that
// project's last-seen state and its undelivered events, so that a poll's result and its
// events are still saved as one unit. Every write checks the key's revision: two writers
// can never silently overwrite each other.
type KV struct {
	kv       jetstream.KeyValue
	projects []string // the projects this store owns (its shard)
	term     uint64

	revs map[string]uint64 // key -> revision last read or written by us
	last map[string][]byte // key -> bytes last written, to skip unchanged keys

	// MaxValue is the largest value the server takes (its max_payload); 0: no check.
	MaxValue int64
	// OnFenced, when set, is called when a write finds a newer leader's term: the caller
	// stops leading at once.
	OnFenced func()
}

// compressAbove is the size from which a value is stored gzipped: small values stay
// readable with `nats kv get`, a burst of pending events stays far below max_payload.
const compressAbove = 64 << 10

// encodeValue is the JSON of v, gzipped when it is large.
func encodeValue(v kvValue) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(b) <= compressAbove {
		return b, err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeValue reads a value written by encodeValue: JSON, or gzipped JSON.
func decodeValue(b []byte, v *kvValue) error {
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return err
		}
		defer zr.Close()
		return json.NewDecoder(io.LimitReader(zr, 1<<30)).Decode(v)
	}
	return json.Unmarshal(b, v)
}

type kvValue struct {
	Term   uint64             `json:"term"`
	State  *diff.ProjectState `json:"state,omitempty"`
	Outbox []Pending          `json:"outbox"`
}

// OpenKVBucket opens or creates the state bucket (no TTL; every key's history is 1).
func OpenKVBucket(ctx context.Context, js jetstream.JetStream, bucket string, replicas int) (jetstream.KeyValue, error) {
	kv, err := OpenOrCreateKV(ctx, js, jetstream.KeyValueConfig{
		Bucket:      bucket,
		Description: "dcs-notifier state: last-seen tasks and undelivered events per project",
		History:     1,
		Replicas:    replicas,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("state bucket %s: %w", bucket, err)
	}
	return kv, nil
}

// OpenOrCreateKV opens a bucket, creating it only when it does not exist. An existing
// bucket is used as it is. (CreateOrUpdateKeyValue from replicas starting together makes
// concurrent updates of a replicated stream, which the server can leave unanswered.)
func OpenOrCreateKV(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	if !errors.Is(err, jetstream.ErrBucketNotFound) {
		return kv, err
	}
	// Replicas started together would all create it at once; a random pause makes one
	// of them first, and the others find its bucket.
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(rand.N(500 * time.Millisecond)):
	}
	if kv, err = js.KeyValue(ctx, cfg.Bucket); !errors.Is(err, jetstream.ErrBucketNotFound) {
		return kv, err
	}
	kv, err = js.CreateKeyValue(ctx, cfg)
	if errors.Is(err, jetstream.ErrBucketExists) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return js.KeyValue(ctx, cfg.Bucket)
	}
	return kv, err
}

// NewKV returns a store for the given projects, writing as the leader of the given term.
func NewKV(kv jetstream.KeyValue, projects []string, term uint64) *KV {
	return &KV{kv: kv, projects: slices.Clone(projects), term: term, revs: map[string]uint64{}, last: map[string][]byte{}}
}

// Key returns a project's key in the bucket.
func Key(projectID string) string { return "project." + projectID }

// Load reads every project of the store and claims each key for this term: it rewrites
// every existing key with the term and creates a claim for every missing one, so that any
// write by an older leader after this point fails its revision check.
func (s *KV) Load(ctx context.Context) (*Snapshot, error) {
	snap := Empty()
	for _, p := range s.projects {
		if err := s.loadKey(ctx, p, snap); err != nil {
			return nil, err
		}
	}
	if err := s.Save(ctx, snap); err != nil {
		return nil, err
	}
	return snap, nil
}

// loadKey reads one project's key into snap, or claims it when it does not exist yet.
func (s *KV) loadKey(ctx context.Context, p string, snap *Snapshot) error {
	key := Key(p)
	for range 3 {
		e, err := s.kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			b, err := encodeValue(kvValue{Term: s.term})
			if err != nil {
				return err
			}
			rev, err := s.kv.Create(ctx, key, b)
			if isConflict(err) {
				continue // created meanwhile: read it
			}
			if err != nil {
				return fmt.Errorf("claiming state key %s: %w", key, err)
			}
			s.revs[key], s.last[key] = rev, b
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading state key %s: %w", key, err)
		}
		var v kvValue
		if err := decodeValue(e.Value(), &v); err != nil {
			return fmt.Errorf("state key %s is unreadable: %w", key, err)
		}
		if v.Term > s.term {
			return fmt.Errorf("state key %s: %w (term %d > ours %d)", key, ErrFenced, v.Term, s.term)
		}
		s.revs[key] = e.Revision()
		if v.State != nil {
			if v.State.Tasks == nil {
				return fmt.Errorf("state key %s is unreadable: project without a task map", key)
			}
			snap.Projects[p] = v.State
		}
		snap.Outbox = append(snap.Outbox, v.Outbox...)
		return nil
	}
	return fmt.Errorf("claiming state key %s: %w", key, ErrFenced)
}

// Save writes the keys whose content changed. A write that fails because another
// replica of a newer term wrote the key returns ErrFenced (and calls OnFenced).
func (s *KV) Save(ctx context.Context, snap *Snapshot) error {
	outboxes := map[string][]Pending{}
	for _, p := range snap.Outbox {
		outboxes[p.Event.Data.ProjectID] = append(outboxes[p.Event.Data.ProjectID], p)
	}
	for _, p := range s.projects {
		key := Key(p)
		st, ok := snap.Projects[p]
		if !ok && len(outboxes[p]) == 0 {
			if _, known := s.revs[key]; !known {
				continue // nothing to say about a project never polled
			}
		}
		b, err := encodeValue(kvValue{Term: s.term, State: st, Outbox: outboxes[p]})
		if err != nil {
			return fmt.Errorf("encoding state key %s: %w", key, err)
		}
		if bytes.Equal(b, s.last[key]) {
			continue
		}
		if s.MaxValue > 0 && int64(len(b)) > s.MaxValue {
			return fmt.Errorf("state key %s: %d bytes, above the NATS server's max_payload of %d: raise max_payload, or shorten poll.lookback", key, len(b), s.MaxValue)
		}
		if err := s.write(ctx, key, b); err != nil {
			if errors.Is(err, ErrFenced) && s.OnFenced != nil {
				s.OnFenced()
			}
			return fmt.Errorf("saving state key %s: %w", key, err)
		}
	}
	return nil
}

// write writes b with a revision check. On a conflict it looks at the key: our own value
// (a write applied whose reply was lost) is success; a value of our term or an older one is
// written over with the current revision; a newer term is ErrFenced.
func (s *KV) write(ctx context.Context, key string, b []byte) error {
	var rev uint64
	var err error
	if old, known := s.revs[key]; known {
		rev, err = s.kv.Update(ctx, key, b, old)
	} else {
		rev, err = s.kv.Create(ctx, key, b)
	}
	if err != nil && !isConflict(err) {
		return err
	}
	if err != nil {
		e, gerr := s.kv.Get(ctx, key)
		if gerr != nil {
			return fmt.Errorf("%w (and reading it back: %v)", err, gerr)
		}
		var v kvValue
		if derr := decodeValue(e.Value(), &v); derr == nil && v.Term > s.term {
			return fmt.Errorf("%w (term %d > ours %d)", ErrFenced, v.Term, s.term)
		}
		if rev = e.Revision(); !bytes.Equal(e.Value(), b) {
			if rev, err = s.kv.Update(ctx, key, b, rev); err != nil {
				if isConflict(err) {
					return fmt.Errorf("%w: %v", ErrFenced, err)
				}
				return err
			}
		}
	}
	s.revs[key], s.last[key] = rev, b
	return nil
}

func isConflict(err error) bool {
	if err == nil {
		return false
	}
	return errors.Is(err, jetstream.ErrKeyExists) ||
		errors.Is(err, jetstream.ErrKeyRevisionMismatch) || strings.Contains(err.Error(), "wrong last sequence")
}

// Close does nothing: the connection belongs to the caller.
func (s *KV) Close() error { return nil }
