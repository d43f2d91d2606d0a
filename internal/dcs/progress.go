package dcs

import (
	"context"
	"sync/atomic"
)

// Progress says whether a poll's current request waits for its credential's budget, for a
// watchdog that must say why a project goes unread ("request budget" rather than "no
// answer"). Budgeted sets it when the request's context carries one (WithProgress).
type Progress struct{ waiting atomic.Bool }

// Mark records whether the request is waiting for its budget now.
func (p *Progress) Mark(waiting bool) { p.waiting.Store(waiting) }

// Waiting reports whether the request is waiting for its budget now.
func (p *Progress) Waiting() bool { return p.waiting.Load() }

type progressKey struct{}

// WithProgress returns ctx carrying p: a Budgeted lister marks p while it waits.
func WithProgress(ctx context.Context, p *Progress) context.Context {
	return context.WithValue(ctx, progressKey{}, p)
}

func progressOf(ctx context.Context) *Progress {
	p, _ := ctx.Value(progressKey{}).(*Progress)
	return p
}
