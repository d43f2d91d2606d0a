package cluster

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Epoch returns the creation time (Unix ns, as the server saw it) of the lease bucket.
// Leases' revisions restart at 1 in a recreated bucket; the epoch tells its leaders apart
// from, and above, every leader of the bucket before it.
func Epoch(ctx context.Context, kv jetstream.KeyValue) (int64, error) {
	st, err := kv.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("lease bucket %s: %w", kv.Bucket(), err)
	}
	bs, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok || bs.StreamInfo() == nil {
		return 0, errors.New("lease bucket " + kv.Bucket() + ": its stream's creation time is unknown")
	}
	return bs.StreamInfo().Created.UnixNano(), nil
}
