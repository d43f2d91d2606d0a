package fleet

import (
	"context"
	"slices"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/metrics"
	"notifier/internal/retry"
)

// RefreshOptions configure Refresh.
type RefreshOptions struct {
	Log     zerolog.Logger
	Metrics *metrics.Metrics // notifier_discovered_projects; nil: not counted
	// Timeout bounds each listing (ListTimeout of the configuration running, which a
	// reload applied in place may change).
	Timeout func() time.Duration
	// Changed is called once each time the projects an entry finds differ from those it
	// found last: the app reloads to apply them.
	Changed func()
}

// Refresh lists every entry again each refresh (sooner, with backoff, while an entry's
// listing fails) and calls o.Changed once each time a set of projects to watch differs
// from the one last found. It returns when ctx is done.
func Refresh(ctx context.Context, ds []*Discoverer, o RefreshOptions) {
	if len(ds) == 0 {
		return
	}
	every := ds[0].Entry.Refresh.D()
	for _, d := range ds {
		every = min(every, d.Entry.Refresh.D())
	}
	b := retry.New(5*time.Second, min(every, 5*time.Minute))
	wait := every
	for _, d := range ds {
		if d.Known() == nil {
			wait = b.NextBackOff() // a listing failed at the start: try again soon
		}
	}
	for {
		if retry.Sleep(ctx, wait) != nil {
			return
		}
		diff, failed := rediscover(ctx, ds, o)
		if diff != "" {
			// Asked once per change: a reload applies it in place and this loop goes on.
			o.Log.Info().Str("discover", diff).Msg("the discovered projects changed: reloading to apply")
			o.Changed()
		}
		wait = every
		if failed {
			wait = b.NextBackOff()
		} else {
			b.Reset()
		}
	}
}

// rediscover lists every entry once; it returns the key of the first entry whose projects
// changed ("" for none), and whether a listing failed.
func rediscover(ctx context.Context, ds []*Discoverer, o RefreshOptions) (string, bool) {
	failed := false
	lists := ListAll(ctx, ds, o.Timeout())
	for i, d := range ds {
		l := lists[i]
		if l.Err != nil {
			if ctx.Err() == nil {
				failed = true
				o.Log.Warn().Err(l.Err).Str("discover", d.Key).Msg("listing the projects of this credential failed; the projects watched stay as they are")
			}
			continue
		}
		known := d.Known()
		d.Record(l, o.Metrics)
		if got := d.Known(); known == nil || !slices.Equal(got, known) {
			if known == nil && len(got) == 0 {
				continue
			}
			return d.Key, failed
		}
	}
	return "", failed
}
