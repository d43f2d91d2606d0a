package poller

import (
	"slices"
	"time"

	"notifier/internal/dcs"
	"notifier/internal/diff"
)

// keepWithin: a poll's pages are kept for the next poll when it is due within this long.
// The next poll passes each as dcs.Query.Reuse: a page whose answer is the same bytes is
// not decoded again (most pages of a project polled every second). A project polled
// every 30 s does not hold its pages in between: a fleet of them would hold them all.
const keepWithin = 5 * time.Second

// keptPage is the page the last kept poll read at this index (0: offset 0), or nil.
func (p *Poller) keptPage(i int) *dcs.Page {
	p.keptMu.Lock()
	defer p.keptMu.Unlock()
	if i < len(p.kept) {
		return p.kept[i]
	}
	return nil
}

// keepListing makes a committed poll's pages the ones the next poll may reuse, when that
// poll is due soon (the project's interval is short, or a followed task runs and its
// active interval is), and hands back the pages kept before that it did not reuse. The
// listing's release then leaves the kept pages alone.
func (p *Poller) keepListing(l *listing, next *diff.ProjectState, o diff.Options) {
	keep := p.idleInterval() <= keepWithin || p.active <= keepWithin && diff.Active(next, o)
	for _, pg := range l.read {
		keep = keep && pg.Reusable()
	}
	p.keptMu.Lock()
	defer p.keptMu.Unlock()
	for _, pg := range p.kept {
		switch i := slices.Index(l.read, pg); {
		case i < 0:
			pg.Release() // not read again by this poll: no longer used
		case !keep:
			l.held[i] = false // the listing's release hands it back
		}
	}
	p.kept = nil
	if !keep {
		p.index = diff.Index{} // nor where its tasks were found: the next poll reads anew
	}
	if keep {
		p.kept = slices.Clone(l.read)
		for i := range l.held {
			l.held[i] = true
		}
	}
}
