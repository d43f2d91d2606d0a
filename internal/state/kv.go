package state

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"notifier/internal/diff"
)

// ErrFenced means another writer changed the state since this one last read or wrote it:
// a newer leader has taken over, and this replica must stop writing.
var ErrFenced = errors.New("state was changed by another replica (a newer leader holds it)")

// KV keeps the state in a NATS JetStream KV bucket.
//
// Each project has a state key (Key) holding its last-seen tasks, and each undelivered
// event has a key of its own (EventKey) holding the event and the receivers still owed it.
// A receiver that cannot deliver therefore grows only the number of event keys, never the
// value that every commit of the project writes.
//
// A commit is still one unit: the state key is written first, with the commit's new
// events inside it (the inbox, or, when the inbox would not fit in one value, the names of
// chunk keys written just before); only then is each event copied to its own key, and the
// inbox emptied by a second write of the state key. A crash at any point leaves either the
// old commit or the new one readable, and an event key always belongs to a committed
// event.
//
// Every write checks the revision it last read or wrote, of state keys and event keys
// alike: two writers never silently overwrite each other, and a leader that lost its lease
// can neither commit nor bring back an event key its successor deleted. Load claims every
// key with a revision-checked update of exactly what it read. Leaders are ordered by
// (epoch, term): the epoch is the lease bucket's creation time and the term the lease's
// revision, so a recreated lease bucket (revisions restart at 1) starts a newer epoch, and
// a replica that loads with a lease older than the stored one is refused.
type KV struct {
	kv       jetstream.KeyValue
	projects []string // the projects this store owns (its shard)
	term     uint64   // the lease's revision
	epoch    int64    // the lease bucket's creation, Unix ns
	writer   string   // unique to this store: tells our own lost writes from others'
	maxValue int64
	onFenced func()

	revs map[string]uint64            // state key -> revision last read or written by us
	last map[string][sha256.Size]byte // state key -> digest of the bytes last written, to skip unchanged keys
	// written is, per project, the state whose encoding (without an inbox) the key holds: a
	// ledger replaces a project's state at every change and never writes one it handed
	// over, so the same pointer needs no encoding to be found unchanged (1,000 projects
	// would otherwise be encoded, and gzipped, at every commit of any one of them).
	written map[string]*diff.ProjectState
	events  map[string]map[string]storedEvent // project -> event id -> what its event key holds
	orders  map[string]uint64                 // event id -> Order, for every pending event
	order   uint64                            // the highest Order given or read
	chunks  uint64                            // chunk keys written, to name the next one
}

// KVOptions configure a KV store.
type KVOptions struct {
	Projects []string // the projects this store owns
	Term     uint64   // the lease revision this store writes under
	Epoch    int64    // the lease bucket's creation time (Unix ns): a newer epoch wins over any term
	// MaxValue is the largest value the server takes (its max_payload); 0: no check.
	MaxValue int64
	// OnFenced, when set, is called when a write finds another leader's value: the caller
	// stops leading at once.
	OnFenced func()
}

// NewKV returns a store for the given projects, writing as the leader of the given epoch
// and term.
func NewKV(kv jetstream.KeyValue, o KVOptions) *KV {
	return &KV{
		kv: kv, projects: slices.Clone(o.Projects), term: o.Term, epoch: o.Epoch, writer: nuid.Next(),
		maxValue: o.MaxValue, onFenced: o.OnFenced,
		revs: map[string]uint64{}, last: map[string][sha256.Size]byte{}, written: map[string]*diff.ProjectState{}, events: map[string]map[string]storedEvent{}, orders: map[string]uint64{},
	}
}

// Term returns the term this store writes under.
func (s *KV) Term() uint64 { return s.term }

// newer reports whether this store's (epoch, term) is above that of v.
func (s *KV) newer(v *kvValue) bool {
	if s.epoch != v.Epoch {
		return s.epoch > v.Epoch
	}
	return s.term > v.Term
}

// Key returns a project's state key in the bucket.
func Key(projectID string) string { return "project." + projectID }

// StoredProjects lists the projects that have a state key in the bucket, watched or not.
func StoredProjects(ctx context.Context, kv jetstream.KeyValue) ([]string, error) {
	l, err := kv.ListKeysFiltered(ctx, Key("*"))
	if err != nil {
		return nil, fmt.Errorf("listing the state keys: %w", err)
	}
	defer l.Stop()
	var out []string
	for k := range l.Keys() {
		out = append(out, strings.TrimPrefix(k, Key("")))
	}
	return out, ctx.Err()
}

// EventKey returns the key of one undelivered event of a project.
func EventKey(projectID, eventID string) string { return "outbox." + projectID + "." + eventID }

// chunkKey returns the key of one chunk of a commit's inbox too large for the state key.
func chunkKey(projectID, name string) string { return "inbox." + projectID + "." + name }

// kvValue is a project's state key. Outbox holds the events of the last commit not yet
// copied to their own keys (the inbox); values written before event keys existed hold every
// pending event there, and are read the same way.
type kvValue struct {
	Term   uint64             `json:"term"`
	Epoch  int64              `json:"epoch,omitempty"`
	Writer string             `json:"writer,omitempty"`
	State  *diff.ProjectState `json:"state,omitempty"`
	Outbox []storedEvent      `json:"outbox,omitempty"`
	Chunks []string           `json:"chunks,omitempty"` // the inbox, in chunk keys, when it does not fit here
}

// storedEvent is a pending event as the store keeps it: in an event key, or in the inbox.
// Order is its place in the commit order, which survives updates of its key.
type storedEvent struct {
	Pending
	Order uint64 `json:"order,omitempty"`
	rev   uint64 // of its event key, 0 while it has none
}

// compressAbove is the size from which a value is stored gzipped: small values stay
// readable with `nats kv get`, a burst of new events stays far below max_payload.
const compressAbove = 64 << 10

// encodeValue is the JSON of v, gzipped when it is large.
func encodeValue(v any) ([]byte, error) {
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
func decodeValue(b []byte, v any) error {
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

// Close does nothing: the connection belongs to the caller.
func (s *KV) Close() error { return nil }

func isConflict(err error) bool {
	return errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch)
}

func (s *KV) fenced(key string, v *kvValue) error {
	if s.onFenced != nil {
		s.onFenced()
	}
	return fmt.Errorf("state key %s: %w (epoch %d term %d, ours epoch %d term %d)", key, ErrFenced, v.Epoch, v.Term, s.epoch, s.term)
}
